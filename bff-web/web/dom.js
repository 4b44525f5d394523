// Building the page from data without ever parsing it as HTML: every text goes through
// `textContent`, every attribute through `setAttribute`, so nothing the APIs return can
// become markup or script (and the CSP forbids inline script anyway).

import { ApiProblem, loginUrl } from './api.js';

/**
 * Creates an element: `h('a', {href: '/x', class: 'y'}, 'text', child)`. Attributes that are
 * `null`, `undefined` or `false` are left out; `true` sets an empty attribute.
 * @param {string} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {...(Node|string|number|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends nodes and texts, skipping empty ones (and flattening arrays). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** A link inside the page (handled by the client-side router); `href` must be a local path. */
export function link(href, attributes, ...children) {
  const local = typeof href === 'string' && href.startsWith('/') && !href.startsWith('//');
  return h('a', { ...attributes, href: local ? href : '/', 'data-link': true }, ...children);
}

/**
 * A responsive `<img>` from the BFF's image view (`src`, `srcset`, `width`, `height`, `alt`);
 * `sizes` says how wide the page lays it out, so the browser picks the rendition.
 */
export function picture(image, sizes, attributes = {}) {
  if (!image) return h('div', { class: 'no-image', 'aria-hidden': 'true' });
  return h('img', {
    src: image.src,
    srcset: image.srcset,
    sizes,
    width: image.width,
    height: image.height,
    alt: image.alt || '',
    loading: 'lazy',
    decoding: 'async',
    ...attributes,
  });
}

/** Stars as text, e.g. `★★★★☆ 4.2 (31)`. */
export function stars(average, count) {
  const full = Math.round(average);
  const text = `${'★'.repeat(full)}${'☆'.repeat(Math.max(0, 5 - full))}`;
  return h('span', { class: 'stars', title: `${average.toFixed(1)} out of 5` },
    text, ` ${average.toFixed(1)}`, count === undefined ? '' : ` (${count})`);
}

/**
 * What a person reads when a call failed: never the raw problem, never a stack trace. A 401
 * asks to sign in (with a link that comes back here).
 * @param {unknown} error
 * @param {{notFound?: string, signIn?: string}} [wording]
 */
export function problemMessage(error, wording = {}) {
  const status = error instanceof ApiProblem ? error.status : -1;
  const here = window.location.pathname + window.location.search;
  let text;
  let action = null;
  switch (true) {
    case status === 401:
      text = wording.signIn || 'Please sign in to continue.';
      action = h('a', { class: 'button', href: loginUrl(here), 'data-testid': 'problem-sign-in' }, 'Sign in');
      break;
    case status === 404:
      text = wording.notFound || 'We could not find that.';
      action = link('/', { class: 'button' }, 'Back to the shop');
      break;
    case status === 400 || status === 422:
      text = 'That request did not look right. Please check it and try again.';
      break;
    case status === 403:
      text = 'This request was refused. Reload the page and try again.';
      break;
    case status === 429:
      text = 'Too many requests at once. Please wait a moment and try again.';
      break;
    case status === 0:
      text = 'The shop cannot be reached. Check your connection and try again.';
      break;
    default:
      text = 'Something went wrong on our side. Please try again in a moment.';
  }
  const reference = error instanceof ApiProblem && error.requestId
    ? h('small', { class: 'reference' }, `Reference: ${error.requestId}`)
    : null;
  return h('div', { class: 'message problem', role: 'alert', 'data-testid': 'problem', 'data-status': status },
    h('p', {}, text), action, reference);
}
