'use strict';
// The Node.js reference for bench/: the two product screens (mobile `/v1/products/:id`, web
// `/api/products/:id`) written the way a frontend team would write its BFF in Node: Fastify,
// undici keep-alive pools (one per upstream), `Promise.all` of the same upstream calls as the Rust
// BFFs, the same response shapes (same fields, same order, same texts).
//
// What it deliberately does NOT do (the Rust BFFs do, so these only favour Node): screen deadlines
// and `X-Request-Deadline-Ms`, retries, circuit breakers, bulkheads, response caching, `ETag`/304,
// compression, metrics, per-request logs, version gate, load shedding, rate limiting.
//
// Settings (environment): PORT (8082), HOST (127.0.0.1), CATALOG_URL, OFFERS_URL, REVIEWS_URL,
// RECOMMENDATIONS_URL (http://127.0.0.1:7001 ... 7004).

const Fastify = require('fastify');
const { Pool } = require('undici');

const env = process.env;
const upstream = (name, port) =>
  new Pool(env[`${name}_URL`] || `http://127.0.0.1:${port}`, {
    // Unlimited sockets per upstream (undici's default), kept alive between requests.
    keepAliveTimeout: 30_000,
    headersTimeout: 2_000,
    bodyTimeout: 2_000,
  });
const catalog = upstream('CATALOG', 7001);
const offers = upstream('OFFERS', 7002);
const reviews = upstream('REVIEWS', 7003);
const recommendations = upstream('RECOMMENDATIONS', 7004);

class UpstreamError extends Error {
  constructor(status) {
    super(`upstream answered ${status}`);
    this.status = status;
  }
}

async function getJson(pool, path) {
  const { statusCode, body } = await pool.request({ method: 'GET', path });
  if (statusCode !== 200) {
    await body.dump();
    throw new UpstreamError(statusCode);
  }
  return body.json();
}

// --- upstream calls (the same URLs the Rust typed clients build) ---------------------------------

const enc = encodeURIComponent;
const idList = (ids) => enc(ids.join(','));
const getProduct = (id) => getJson(catalog, `/products/${enc(id)}`);
const getCards = (ids) =>
  ids.length === 0
    ? Promise.resolve([])
    : getJson(catalog, `/products?ids=${idList(ids)}&view=card`).then((r) => r.items);
const getCategories = () => getJson(catalog, '/categories').then((r) => r.items);
const byProductId = (r) => new Map(r.items.map((item) => [item.product_id, item]));
const getOffers = (ids) =>
  ids.length === 0 ? Promise.resolve(new Map()) : getJson(offers, `/offers?ids=${idList(ids)}`).then(byProductId);
const getRatings = (ids) =>
  ids.length === 0 ? Promise.resolve(new Map()) : getJson(reviews, `/ratings?ids=${idList(ids)}`).then(byProductId);
const getRating = (id) => getJson(reviews, `/products/${enc(id)}/rating`);
const getReviews = (id, limit) => getJson(reviews, `/products/${enc(id)}/reviews?offset=0&limit=${limit}`);
const getRelated = (id, limit) => getJson(recommendations, `/products/${enc(id)}/related?limit=${limit}`);

// --- aggregation helpers ---------------------------------------------------------------------------

/** Optional sections: a failure leaves the section out and names it in `degraded`. */
function sections() {
  const degraded = [];
  const optional = (name, promise) =>
    promise.catch(() => {
      if (!degraded.includes(name)) degraded.push(name);
      return null;
    });
  return { degraded, optional };
}

/** Offers and ratings of a shelf: one batched call each. */
async function cardExtras(ids, optional) {
  const [offerMap, ratingMap] = await Promise.all([
    optional('offers', getOffers(ids)),
    optional('reviews', getRatings(ids)),
  ]);
  return { offers: offerMap || new Map(), ratings: ratingMap || new Map() };
}

const isSlug = (value) => typeof value === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(value);

function problem(reply, status, title, detail) {
  return reply
    .code(status)
    .header('content-type', 'application/problem+json')
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

function criticalFailure(reply, error) {
  if (error instanceof UpstreamError && error.status === 404) {
    return problem(reply, 404, 'Not Found', 'The requested resource does not exist.');
  }
  return problem(reply, 502, 'Bad Gateway', 'A service this request needs is unavailable.');
}

function money(cents, currency) {
  const symbol = { EUR: '€', USD: '$', GBP: '£' }[currency] || '';
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = String(abs % 100).padStart(2, '0');
  return symbol ? `${sign}${symbol}${whole}.${fraction}` : `${sign}${whole}.${fraction} ${currency}`;
}

const oneDecimal = (value) => Math.round(value * 10) / 10;

// --- mobile: GET /v1/products/:id ------------------------------------------------------------------

const MOBILE_REVIEWS = 3;
const MOBILE_RELATED = 6;
const SUMMARY_MAX = 300;
const REVIEW_MAX = 200;
const MAX_IMAGES = 5;
const MOBILE_VARY = 'Viewport-Width, Sec-CH-Viewport-Width, DPR, Sec-CH-DPR, Save-Data';
const ACCEPT_CH = 'Sec-CH-Viewport-Width, Sec-CH-DPR, Save-Data';

/** Target image width in device pixels (hints: query, Sec-CH-*, legacy headers; default 390 × 2). */
function device(request) {
  const h = request.headers;
  const width = Number(request.query.w || h['sec-ch-viewport-width'] || h['viewport-width']) || 390;
  const dpr = Number(request.query.dpr || h['sec-ch-dpr'] || h.dpr) || 2;
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  return {
    target: Math.ceil(clamp(width, 100, 4096) * clamp(dpr, 1, 4)),
    saveData: (h['save-data'] || '').trim().toLowerCase() === 'on',
  };
}

/** The narrowest rendition at least `target` wide (else the widest; the narrowest with Save-Data). */
function pickUrl(image, dev) {
  let best = null;
  let narrowest = null;
  let widest = null;
  for (const r of image.renditions) {
    if (!narrowest || r.width < narrowest.width) narrowest = r;
    if (!widest || r.width > widest.width) widest = r;
    if (r.width >= dev.target && (!best || r.width < best.width)) best = r;
  }
  const picked = dev.saveData ? narrowest : best || widest;
  return picked ? picked.url : undefined;
}

const isSpace = (c) => c === ' ' || c === '\n' || c === '\t' || c === '\r';

/** Cut at a word boundary with "…" so the result has at most `max` characters. */
function truncateWords(text, max) {
  max = Math.max(max, 1);
  if (text.length <= max) return text;
  const hard = text.slice(0, max - 1);
  let head = hard;
  if (!isSpace(text[max - 1])) {
    const lastSpace = Math.max(hard.lastIndexOf(' '), hard.lastIndexOf('\n'), hard.lastIndexOf('\t'));
    if (lastSpace >= 0) head = hard.slice(0, lastSpace);
  }
  head = head.replace(/[\s,;:\-–—(]+$/u, '');
  return (head || hard) + '…';
}

/** The whole description, or its leading paragraphs if they fill half the room, or a cut. */
function summary(description, max) {
  const text = description.trim();
  if (text.length <= max) return text;
  let end = -1;
  for (let i = text.indexOf('\n\n'); i !== -1; i = text.indexOf('\n\n', i + 2)) {
    if (i > max) break;
    end = i;
  }
  if (end >= 0) {
    const paragraphs = text.slice(0, end).trimEnd();
    if (paragraphs.length >= Math.floor(max / 2)) return paragraphs;
  }
  return truncateWords(text, max);
}

function reviewExcerpt(title, body, max) {
  title = title.trim();
  body = body.trim();
  let text = title;
  if (title && body) text += /[.!?…]$/.test(title) ? ' ' : '. ';
  return truncateWords(text + body, max);
}

function mobileCard(card, extras, dev) {
  const offer = extras.offers.get(card.id);
  const rating = extras.ratings.get(card.id);
  const out = { id: card.id, name: card.name };
  if (offer) out.price = money(offer.price_cents, offer.currency);
  if (rating && rating.count > 0) out.rating = oneDecimal(rating.average);
  const image = card.images.length > 0 ? pickUrl(card.images[0], dev) : undefined;
  if (image !== undefined) out.image = image;
  return out;
}

async function mobileProduct(request, reply) {
  const { id } = request.params;
  if (!isSlug(id)) return problem(reply, 400, 'Bad Request', 'The product id is malformed.');
  const dev = device(request);
  const { degraded, optional } = sections();

  const relatedShelf = async () => {
    const related = await optional('recommendations', getRelated(id, MOBILE_RELATED));
    if (!related) return null;
    const ids = related.product_ids;
    const [cards, extras] = await Promise.all([
      optional('recommendations', getCards(ids)),
      cardExtras(ids, optional),
    ]);
    return cards ? cards.map((card) => mobileCard(card, extras, dev)) : null;
  };

  let product, offerMap, rating, reviewPage, related;
  try {
    [product, offerMap, rating, reviewPage, related] = await Promise.all([
      getProduct(id),
      optional('offers', getOffers([id])),
      optional('reviews', getRating(id)),
      optional('reviews', getReviews(id, MOBILE_REVIEWS)),
      relatedShelf(),
    ]);
  } catch (error) {
    return criticalFailure(reply, error);
  }

  const view = { id: product.id, name: product.name };
  const offer = offerMap && offerMap.get(id);
  if (offer) {
    view.price = money(offer.price_cents, offer.currency);
    view.in_stock = offer.stock > 0;
  }
  view.images = [];
  for (const image of product.images) {
    const url = pickUrl(image, dev);
    if (url !== undefined) view.images.push(url);
    if (view.images.length === MAX_IMAGES) break;
  }
  view.summary = summary(product.description, SUMMARY_MAX);
  if (rating) view.rating = { average: oneDecimal(rating.average), count: rating.count };
  if (reviewPage) {
    view.reviews = reviewPage.items.slice(0, MOBILE_REVIEWS).map((r) => ({
      author: r.author,
      rating: r.rating,
      text: reviewExcerpt(r.title, r.body, REVIEW_MAX),
    }));
  }
  if (related) view.related = related;
  if (degraded.length > 0) view.degraded = degraded;

  reply
    .header('cache-control', degraded.length > 0 ? 'no-cache' : 'public, max-age=30')
    .header('vary', MOBILE_VARY)
    .header('accept-ch', ACCEPT_CH);
  return view;
}

// --- web: GET /api/products/:id --------------------------------------------------------------------

const WEB_REVIEWS = 10;
const WEB_RELATED = 12;
const SRC_TARGET = 480;

const usable = (r) => r.width > 0 && /^https?:\/\//.test(r.url) && !/[\s,]/.test(r.url);

function responsiveImage(image) {
  const renditions = image.renditions.filter(usable).sort((a, b) => a.width - b.width);
  if (renditions.length === 0) return null;
  const src = renditions.find((r) => r.width >= SRC_TARGET) || renditions[renditions.length - 1];
  return {
    alt: image.alt,
    src: src.url,
    srcset: renditions.map((r) => `${r.url} ${r.width}w`).join(', '),
    width: src.width,
    height: src.height,
    renditions,
  };
}

function price(offer) {
  const discounted = offer.list_price_cents > offer.price_cents;
  const out = {
    amount_cents: offer.price_cents,
    currency: offer.currency,
    display: money(offer.price_cents, offer.currency),
  };
  if (discounted) out.list_display = money(offer.list_price_cents, offer.currency);
  out.discount_percent = discounted ? offer.discount_percent : 0;
  return out;
}

function webCard(card, extras) {
  if (!isSlug(card.id)) return null;
  const offer = extras.offers.get(card.id);
  const rating = extras.ratings.get(card.id);
  const out = { id: card.id, name: card.name, brand: card.brand, href: `/products/${card.id}` };
  if (offer) {
    out.price = price(offer);
    out.in_stock = offer.stock > 0;
  }
  if (rating) out.rating = { average: rating.average, count: rating.count };
  const image = card.images.length > 0 ? responsiveImage(card.images[0]) : null;
  if (image) {
    const { renditions, ...cardImage } = image;
    out.image = cardImage;
  }
  return out;
}

async function webProduct(request, reply) {
  // bff-web's CSRF defence: every /api call carries `X-CSRF: 1`, and cross-site fetches are refused.
  if (request.headers['x-csrf'] !== '1' || request.headers['sec-fetch-site'] === 'cross-site') {
    return problem(reply, 403, 'Forbidden', 'This request is not allowed.');
  }
  const { id } = request.params;
  if (!isSlug(id)) return problem(reply, 400, 'Bad Request', 'The product id is malformed.');
  const { degraded, optional } = sections();

  const relatedShelf = async () => {
    const related = await optional('recommendations', getRelated(id, WEB_RELATED));
    const ids = related ? related.product_ids.slice(0, WEB_RELATED) : [];
    const [cards, extras] = await Promise.all([
      optional('recommendations', getCards(ids)),
      cardExtras(ids, optional),
    ]);
    return (cards || []).map((card) => webCard(card, extras)).filter(Boolean);
  };

  let product, offerMap, rating, reviewPage, related, categories;
  try {
    [product, offerMap, rating, reviewPage, related, categories] = await Promise.all([
      getProduct(id),
      optional('offers', getOffers([id])),
      optional('reviews', getRating(id)),
      optional('reviews', getReviews(id, WEB_REVIEWS)),
      relatedShelf(),
      optional('categories', getCategories()),
    ]);
  } catch (error) {
    return criticalFailure(reply, error);
  }

  const view = {
    product: {
      id: product.id,
      name: product.name,
      brand: product.brand,
      category: product.category,
      description: product.description
        .split('\n\n')
        .map((p) => p.trim())
        .filter((p) => p.length > 0),
      features: product.features,
      specs: product.specs.map((s) => ({ name: s.name, value: s.value })),
      images: product.images.map(responsiveImage).filter(Boolean),
      variants: product.variants.map((v) => ({ sku: v.sku, name: v.name })),
    },
  };
  const offer = offerMap && offerMap.get(id);
  if (offer) {
    view.offer = {
      price: price(offer),
      stock: offer.stock,
      in_stock: offer.stock > 0,
      delivery: { min_days: offer.delivery.min_days, max_days: offer.delivery.max_days },
    };
  }
  if (rating) view.rating = { average: rating.average, count: rating.count, histogram: rating.histogram };
  if (reviewPage) {
    const shown = reviewPage.items.length;
    const next = reviewPage.offset + shown;
    view.reviews = {
      total: reviewPage.total,
      items: reviewPage.items.map((r) => ({
        id: r.id,
        author: r.author,
        rating: r.rating,
        title: r.title,
        body: r.body,
        created_at: r.created_at,
      })),
    };
    if (shown > 0 && next < reviewPage.total && next <= 10_000) {
      view.reviews.next = `/api/products/${id}/reviews?offset=${next}`;
    }
  }
  view.related = related;
  const category = (categories || []).find((c) => c.id === product.category);
  const categoryCrumb = { name: category ? category.name : product.category };
  if (isSlug(product.category)) categoryCrumb.href = `/search?category=${product.category}`;
  view.breadcrumbs = [{ name: 'Home', href: '/' }, categoryCrumb, { name: product.name }];
  if (degraded.length > 0) view.degraded = degraded;

  reply.header('cache-control', degraded.length > 0 ? 'no-cache' : 'public, max-age=30');
  return view;
}

// --- server ----------------------------------------------------------------------------------------

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/v1/products/:id', mobileProduct);
app.get('/api/products/:id', webProduct);

const port = Number(env.PORT || 8082);
const host = env.HOST || '127.0.0.1';
app.listen({ port, host }).then(
  () => console.log(`node reference listening on ${host}:${port}`),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => app.close().then(() => process.exit(0)));
