// The pages: each fetches its screen from bff-web and renders it. A section the BFF names in
// `degraded` (or leaves empty) is simply not shown: a missing shelf, not an error page.

import * as api from './api.js';
import { h, link, picture, problemMessage, stars } from './dom.js';

/** How wide a card's image is laid out in the grids of style.css. */
const CARD_SIZES = '(min-width: 1200px) 220px, (min-width: 900px) 23vw, (min-width: 600px) 31vw, 46vw';
/** The hero banner: full width up to the page's maximum. */
const HERO_SIZES = '(min-width: 1200px) 1160px, 96vw';
/** The product page's main image: half the page on wide screens. */
const MAIN_IMAGE_SIZES = '(min-width: 1200px) 580px, (min-width: 800px) 48vw, 96vw';

/**
 * @typedef {object} Context
 * @property {{user: {sub: string, name?: string|null}}|null} session who is signed in
 * @property {(count: number|null) => void} setCartCount updates the cart badge
 * @property {(text: string) => void} notify a short status line
 * @property {(path: string) => void} navigate client-side navigation
 */

/** `degraded` as a set (empty when the screen is complete). */
function degradedOf(screen) {
  return new Set(Array.isArray(screen.degraded) ? screen.degraded : []);
}

/** One product card. */
function card(item) {
  const price = item.price
    ? h('p', { class: 'price' }, item.price.display,
      item.price.list_display ? h('s', { class: 'list-price' }, item.price.list_display) : null)
    : null;
  return h('li', { class: 'card', 'data-testid': 'card', 'data-id': item.id },
    link(item.href, {},
      picture(item.image, CARD_SIZES),
      h('span', { class: 'brand-name' }, item.brand),
      h('span', { class: 'name' }, item.name)),
    price,
    item.rating && item.rating.count > 0 ? stars(item.rating.average, item.rating.count) : null,
    item.in_stock === false ? h('p', { class: 'stock out' }, 'Out of stock') : null);
}

/** A titled shelf of cards, or nothing when it has none (a degraded section). */
function shelf(name, title, items) {
  if (!Array.isArray(items) || items.length === 0) return null;
  return h('section', { class: 'shelf', 'data-shelf': name, 'data-testid': `shelf-${name}` },
    h('h2', {}, title),
    h('ul', { class: 'grid' }, items.map(card)));
}

/** Shows the category navigation, or hides it when the categories section is missing. */
function renderCategories(categories) {
  const nav = document.querySelector('[data-testid="categories"]');
  if (!nav) return;
  nav.replaceChildren();
  if (!Array.isArray(categories) || categories.length === 0) {
    nav.hidden = true;
    return;
  }
  nav.append(h('ul', {}, categories.filter((c) => c.href).map((c) =>
    h('li', {}, link(c.href, {}, c.name)))));
  nav.hidden = false;
}

/** `/`: hero, categories, featured and popular shelves. */
export async function homePage(main) {
  const screen = await api.home();
  const degraded = degradedOf(screen);
  renderCategories(degraded.has('categories') ? [] : screen.categories);
  const hero = screen.hero;
  main.replaceChildren(
    h('section', { class: 'hero', 'data-testid': 'hero' },
      picture(hero.image, HERO_SIZES, { loading: 'eager', fetchpriority: 'high' }),
      h('div', { class: 'hero-text' },
        h('h1', {}, hero.title),
        h('p', {}, hero.subtitle),
        hero.href ? link(hero.href, { class: 'button' }, 'Have a look') : null)),
    shelf('featured', 'Featured', screen.featured),
    degraded.has('recommendations') ? null : shelf('popular', 'Popular right now', screen.popular));
  document.title = 'Storefront';
}

/** `/products/{id}`: detail, offer, rating, reviews, related. */
export async function productPage(main, ctx, id) {
  let screen;
  try {
    screen = await api.product(id);
  } catch (error) {
    main.replaceChildren(problemMessage(error, { notFound: 'We could not find this product.' }));
    return;
  }
  const degraded = degradedOf(screen);
  const product = screen.product;
  document.title = `${product.name} – Storefront`;
  const images = Array.isArray(product.images) ? product.images : [];
  const mainImage = picture(images[0], MAIN_IMAGE_SIZES, { loading: 'eager', 'data-testid': 'product-image' });
  const thumbnails = images.length > 1
    ? h('ul', { class: 'thumbnails' }, images.map((image, index) =>
      h('li', {}, h('button', { type: 'button', class: 'thumb', 'aria-label': `Image ${index + 1}`, 'data-index': index },
        picture(image, '80px')))))
    : null;
  thumbnails?.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button.thumb');
    const image = button && images[Number(button.getAttribute('data-index'))];
    if (image && mainImage instanceof HTMLImageElement) {
      mainImage.srcset = image.srcset;
      mainImage.src = image.src;
      mainImage.alt = image.alt || '';
    }
  });

  main.replaceChildren(
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' },
      h('ol', {}, (screen.breadcrumbs || []).map((crumb) =>
        h('li', {}, crumb.href ? link(crumb.href, {}, crumb.name) : h('span', { 'aria-current': 'page' }, crumb.name))))),
    h('article', { class: 'product', 'data-testid': 'product', 'data-id': product.id },
      h('div', { class: 'gallery' }, mainImage, thumbnails),
      h('div', { class: 'buy-box' },
        h('p', { class: 'brand-name' }, product.brand),
        h('h1', { 'data-testid': 'product-name' }, product.name),
        screen.rating ? stars(screen.rating.average, screen.rating.count) : null,
        offerBox(screen.offer, product.id, ctx)),
      h('section', { class: 'details' },
        (product.description || []).map((paragraph) => h('p', {}, paragraph)),
        product.features && product.features.length
          ? h('ul', { class: 'features' }, product.features.map((f) => h('li', {}, f)))
          : null,
        product.specs && product.specs.length
          ? h('table', { class: 'specs' }, h('tbody', {}, product.specs.map((spec) =>
            h('tr', {}, h('th', { scope: 'row' }, spec.name), h('td', {}, spec.value)))))
          : null)),
    degraded.has('reviews') || !screen.reviews ? null : reviewsSection(screen.rating, screen.reviews),
    shelf('related', 'You may also like', screen.related));
}

/** Price, stock, delivery and the add-to-cart button; a note when the offer is unavailable. */
function offerBox(offer, productId, ctx) {
  if (!offer) {
    return h('p', { class: 'message', 'data-testid': 'no-offer' }, 'The price is not available right now.');
  }
  const status = h('div', { class: 'cart-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'button primary', 'data-testid': 'add-to-cart', disabled: !offer.in_stock },
    offer.in_stock ? 'Add to cart' : 'Out of stock');
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '');
    status.replaceChildren();
    try {
      const cart = await api.addToCart(productId, 1);
      ctx.setCartCount(cart.item_count);
      status.append(h('p', { 'data-testid': 'added' }, 'Added to your cart. ', link('/cart', {}, 'View cart')));
    } catch (error) {
      status.append(problemMessage(error, { signIn: 'Please sign in to add this to your cart.' }));
    } finally {
      button.removeAttribute('disabled');
    }
  });
  const price = offer.price;
  return h('div', { class: 'offer' },
    h('p', { class: 'price big', 'data-testid': 'price' }, price.display,
      price.list_display ? h('s', { class: 'list-price' }, price.list_display) : null,
      price.discount_percent ? h('span', { class: 'discount' }, `−${price.discount_percent}%`) : null),
    h('p', { class: offer.in_stock ? 'stock in' : 'stock out' },
      offer.in_stock ? `In stock, delivered in ${offer.delivery.min_days}–${offer.delivery.max_days} days` : 'Out of stock'),
    button,
    status);
}

/** The rating histogram, the first reviews and a "more" button following the `next` link. */
function reviewsSection(rating, reviews) {
  const list = h('ul', { class: 'reviews' });
  const addReviews = (items) => list.append(...items.map((review) =>
    h('li', { class: 'review' },
      h('p', {}, stars(review.rating), ' ', h('strong', {}, review.title)),
      h('p', {}, review.body),
      h('small', {}, `${review.author}, ${review.created_at}`))));
  addReviews(reviews.items || []);
  let next = reviews.next;
  const more = h('button', { type: 'button', class: 'button', hidden: !next }, 'More reviews');
  more.addEventListener('click', async () => {
    more.setAttribute('disabled', '');
    try {
      const page = await api.reviewsPage(next);
      addReviews(page.items || []);
      next = page.next;
      more.hidden = !next;
    } catch (error) {
      more.replaceWith(problemMessage(error));
    } finally {
      more.removeAttribute('disabled');
    }
  });
  const histogram = rating && Array.isArray(rating.histogram) && rating.count > 0
    ? h('ol', { class: 'histogram', reversed: true }, [...rating.histogram].reverse().map((count, index) =>
      h('li', {}, `${5 - index} ★`, h('meter', { min: 0, max: rating.count, value: count }), String(count))))
    : null;
  return h('section', { class: 'reviews-section', 'data-testid': 'reviews' },
    h('h2', {}, `Reviews (${reviews.total})`), histogram, list, more);
}

/** The sort orders the search screen accepts. */
const SORTS = [['relevance', 'Relevance'], ['price_asc', 'Price, low to high'], ['price_desc', 'Price, high to low'], ['name', 'Name'], ['newest', 'Newest']];

/** `/search?q=&category=&sort=&page=`. */
export async function searchPage(main, ctx, params) {
  const wanted = {
    q: params.get('q') || '',
    category: params.get('category') || '',
    sort: params.get('sort') || '',
    page: params.get('page') || '',
  };
  const input = /** @type {HTMLInputElement|null} */ (document.querySelector('#search-q'));
  if (input && document.activeElement !== input) input.value = wanted.q;
  let results;
  try {
    results = await api.search(wanted);
  } catch (error) {
    main.replaceChildren(problemMessage(error));
    return;
  }
  document.title = wanted.q ? `“${wanted.q}” – Storefront` : 'Search – Storefront';
  const at = (changes) => {
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...wanted, ...changes })) if (value) next.set(key, String(value));
    return `/search?${next}`;
  };
  const sort = h('select', { 'aria-label': 'Sort by', 'data-testid': 'sort' },
    SORTS.map(([value, label]) => h('option', { value, selected: (results.query?.sort || 'relevance') === value }, label)));
  sort.addEventListener('change', () => ctx.navigate(at({ sort: /** @type {HTMLSelectElement} */ (sort).value, page: '' })));
  const categories = results.facets?.categories || [];
  const items = results.items || [];
  main.replaceChildren(
    h('div', { class: 'search-head' },
      h('h1', { 'data-testid': 'result-count' }, `${results.total} ${results.total === 1 ? 'result' : 'results'}`,
        wanted.q ? ` for “${wanted.q}”` : ''),
      sort),
    h('div', { class: 'search-body' },
      categories.length
        ? h('aside', { class: 'facets', 'aria-label': 'Categories' }, h('h2', {}, 'Category'),
          h('ul', {}, categories.map((facet) => h('li', {},
            link(at({ category: facet.value === wanted.category ? '' : facet.value, page: '' }),
              { 'aria-current': facet.value === wanted.category ? 'true' : null }, `${facet.value} (${facet.count})`)))))
        : null,
      h('div', { class: 'results' },
        items.length
          ? h('ul', { class: 'grid', 'data-testid': 'results' }, items.map(card))
          : h('p', { class: 'message', 'data-testid': 'no-results' }, 'Nothing matches your search. Try other words.'),
        results.page_count > 1
          ? h('nav', { class: 'pages', 'aria-label': 'Pages' },
            results.page > 1 ? link(at({ page: results.page - 1 }), { rel: 'prev' }, '‹ Previous') : null,
            h('span', {}, `Page ${results.page} of ${results.page_count}`),
            results.page < results.page_count ? link(at({ page: results.page + 1 }), { rel: 'next' }, 'Next ›') : null)
          : null)));
}

/** `/cart`: the lines with remove buttons, the subtotal; "please sign in" when signed out. */
export async function cartPage(main, ctx) {
  document.title = 'Cart – Storefront';
  let cart;
  try {
    cart = await api.cart();
  } catch (error) {
    main.replaceChildren(h('h1', {}, 'Your cart'), problemMessage(error, { signIn: 'Please sign in to see your cart.' }));
    return;
  }
  renderCart(main, ctx, cart);
}

function renderCart(main, ctx, cart) {
  ctx.setCartCount(cart.item_count);
  const items = cart.items || [];
  if (items.length === 0) {
    main.replaceChildren(h('h1', {}, 'Your cart'),
      h('p', { class: 'message', 'data-testid': 'cart-empty' }, 'Your cart is empty. ', link('/', {}, 'Keep shopping')));
    return;
  }
  const rows = items.map((line) => {
    const remove = h('button', { type: 'button', class: 'button', 'data-testid': 'remove' }, 'Remove');
    remove.addEventListener('click', async () => {
      remove.setAttribute('disabled', '');
      try {
        renderCart(main, ctx, await api.removeFromCart(line.product_id));
      } catch (error) {
        remove.replaceWith(problemMessage(error, { signIn: 'Please sign in to change your cart.' }));
      }
    });
    const product = line.product;
    return h('li', { class: 'line', 'data-testid': 'cart-line', 'data-id': line.product_id },
      product ? picture(product.image, '96px') : h('div', { class: 'no-image' }),
      h('div', { class: 'line-text' },
        product ? link(product.href, { 'data-testid': 'cart-line-name' }, product.name) : h('span', {}, line.product_id),
        h('p', {}, `Quantity: ${line.quantity}`)),
      h('p', { class: 'price' }, line.line_total ? line.line_total.display : ''),
      remove);
  });
  main.replaceChildren(
    h('h1', {}, 'Your cart'),
    h('ul', { class: 'cart', 'data-testid': 'cart' }, rows),
    cart.subtotal ? h('p', { class: 'subtotal', 'data-testid': 'subtotal' }, `Subtotal: ${cart.subtotal.display}`) : null);
}

/** Any other path. */
export function notFoundPage(main) {
  document.title = 'Not found – Storefront';
  main.replaceChildren(h('div', { class: 'message problem', 'data-testid': 'not-found' },
    h('h1', {}, 'This page does not exist.'), link('/', { class: 'button' }, 'Back to the shop')));
}
