// Every call the page makes goes to bff-web on this origin: the session cookie travels by
// itself (`credentials: 'same-origin'`), `X-CSRF: 1` proves the call comes from this page, and
// no token ever reaches the browser. Errors arrive as RFC 9457 problems and are thrown as
// `ApiProblem`, which the pages turn into friendly messages.

/**
 * The screens' types, generated from bff-web's OpenAPI contract (bff-web/types/api.d.ts); an
 * editor that reads JSDoc checks the pages against them. Comments only: nothing is loaded.
 * @typedef {import('../types/api').components['schemas']} Schemas
 */

import { SearchPage } from './operations.js';

/** A failed call: the problem the BFF answered, or a made-up one when the network failed. */
export class ApiProblem extends Error {
  /**
   * @param {{status: number, title?: string, detail?: string, request_id?: string}} problem
   */
  constructor(problem) {
    super(problem.title || `HTTP ${problem.status}`);
    this.name = 'ApiProblem';
    /** HTTP status, 0 when the BFF could not be reached. */
    this.status = problem.status;
    /** The problem's `request_id`, to quote to support. */
    this.requestId = problem.request_id || '';
  }
}

/**
 * Calls bff-web and returns the JSON body (`null` for 204).
 * @param {string} path a path of this origin (`/api/...`, `/auth/...`)
 * @param {{method?: string, body?: unknown}} [options]
 * @returns {Promise<any>}
 */
export async function call(path, options = {}) {
  const headers = { 'X-CSRF': '1', Accept: 'application/json' };
  const init = { method: options.method || 'GET', credentials: 'same-origin', headers };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, /** @type {RequestInit} */ (init));
  } catch {
    throw new ApiProblem({ status: 0, title: 'Network error' });
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ApiProblem(body && typeof body.status === 'number' ? body : { status: response.status });
  }
  return body;
}

/** Query parameters, re-encoded; empty values are left out. */
function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** `GET /api/home`. @returns {Promise<Schemas['HomePage']>} */
export const home = () => call('/api/home');

/** `GET /api/products/{id}`. @returns {Promise<Schemas['ProductPage']>} */
export const product = (id) => call(`/api/products/${encodeURIComponent(id)}`);

/** A further page of reviews, by the `next` link the product page gave. @returns {Promise<Schemas['ReviewsPage']>} */
export const reviewsPage = (next) => call(sameOriginPath(next));

/** Cards on a search page, as the REST screen has them. */
const SEARCH_PAGE_SIZE = 24;
/** The deepest page the search offers. */
const SEARCH_MAX_PAGE = 400;

/**
 * Runs one of the operations of `operations.js` at `POST /graphql`, sent with its hash (the
 * server's manifest mode accepts exactly these texts). Returns `data`; a query that failed as a
 * whole (no `data`) is thrown as an `ApiProblem` with the first error's code as its title.
 * @param {{name: string, sha256: string, query: string}} operation
 * @param {Record<string, unknown>} variables
 */
export async function graphql(operation, variables) {
  const body = await call('/graphql', {
    method: 'POST',
    body: {
      query: operation.query,
      operationName: operation.name,
      variables,
      extensions: { persistedQuery: { version: 1, sha256Hash: operation.sha256 } },
    },
  });
  if (!body || !body.data) {
    const code = body?.errors?.[0]?.extensions?.code;
    throw new ApiProblem({ status: code === 'BAD_USER_INPUT' ? 400 : 502, title: code || 'GraphQL error' });
  }
  return body.data;
}

/** The opaque cursor of a position in the results (the server's `offset:N`, base64url). */
function cursorAt(offset) {
  return btoa(`offset:${offset}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * A search page, through GraphQL (`SearchPage` in bff-web/graphql/operations/), in the shape of
 * the REST screen (`GET /api/search`) that the page renders. A bad `page` or `sort` is a 400.
 * @returns {Promise<Schemas['SearchResults']>}
 */
export async function search(params) {
  const page = params.page ? Number(params.page) : 1;
  const sort = params.sort || 'relevance';
  if (!Number.isInteger(page) || page < 1 || page > SEARCH_MAX_PAGE || !/^[a-z_]+$/.test(sort)) {
    throw new ApiProblem({ status: 400, title: 'Bad Request' });
  }
  const variables = {
    q: params.q || null,
    category: params.category || null,
    sort: sort.toUpperCase(),
    first: SEARCH_PAGE_SIZE,
    after: page > 1 ? cursorAt((page - 1) * SEARCH_PAGE_SIZE) : null,
  };
  const data = await graphql(SearchPage, variables);
  const found = data.search;
  return /** @type {any} */ ({
    query: { q: params.q || undefined, category: params.category || undefined, sort },
    page,
    page_count: Math.min(SEARCH_MAX_PAGE, Math.ceil(found.totalCount / SEARCH_PAGE_SIZE)),
    total: found.totalCount,
    facets: found.facets,
    via: 'graphql',
    items: found.products.map((p) => ({
      id: p.id,
      name: p.name,
      brand: p.brand,
      href: p.href,
      image: p.mainImage,
      price: p.offer ? { display: p.offer.price, list_display: p.offer.listPrice } : null,
      in_stock: p.offer ? p.offer.inStock : undefined,
      rating: p.rating,
    })),
  });
}

/** `GET /api/cart` (401 when signed out). @returns {Promise<Schemas['CartPage']>} */
export const cart = () => call('/api/cart');

/** `POST /api/cart/items`: the cart after the change. @returns {Promise<Schemas['CartPage']>} */
export const addToCart = (productId, quantity = 1) =>
  call('/api/cart/items', { method: 'POST', body: { product_id: productId, quantity } });

/** `DELETE /api/cart/items/{id}`: the cart after the change. @returns {Promise<Schemas['CartPage']>} */
export const removeFromCart = (productId) =>
  call(`/api/cart/items/${encodeURIComponent(productId)}`, { method: 'DELETE' });

/** Who is signed in (`GET /auth/session`), or `null`. @returns {Promise<Schemas['SessionView']|null>} */
export async function session() {
  try {
    return await call('/auth/session');
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) return null;
    throw error;
  }
}

/**
 * Ends the session at the BFF (`POST /auth/logout`, which also revokes the refresh token) and
 * sends the browser to the provider's end-session page, which comes back to `/`.
 */
export async function logout() {
  const answer = await call('/auth/logout', { method: 'POST' });
  const target = answer && typeof answer.logout_url === 'string' ? answer.logout_url : '/';
  const url = new URL(target, window.location.origin);
  window.location.assign(url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '/');
}

/** The sign-in URL that comes back to `returnTo` (a path of this page). */
export function loginUrl(returnTo) {
  return `/auth/login${query({ return_to: sameOriginPath(returnTo) })}`;
}

/** `path` when it is a path of this origin (`/x`, not `//host` or a URL), else `/`. */
export function sameOriginPath(path) {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\')
    ? path
    : '/';
}
