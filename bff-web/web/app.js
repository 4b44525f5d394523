// The storefront's entry point: a small client-side router over the History API and the
// header (who is signed in, the cart badge, sign-out). bff-web serves index.html for every
// route below, so a reload or a shared link lands on the same page.

import * as api from './api.js';
import { problemMessage } from './dom.js';
import { cartPage, homePage, notFoundPage, productPage, searchPage } from './pages.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const notice = /** @type {HTMLElement} */ (document.querySelector('[data-testid="notice"]'));

/** @type {import('./pages.js').Context} */
const ctx = {
  session: null,
  setCartCount(count) {
    const badge = /** @type {HTMLElement} */ (document.querySelector('[data-testid="cart-count"]'));
    badge.textContent = count ? String(count) : '';
    badge.hidden = !count;
  },
  notify(text) {
    notice.textContent = text;
    notice.hidden = !text;
  },
  navigate(path) {
    window.history.pushState(null, '', path);
    render();
  },
};

/** Product ids as the API accepts them; anything else is "not found" without a call. */
const PRODUCT_PATH = /^\/products\/([A-Za-z0-9_-]{1,64})$/;

/** Renders the page of the current URL. */
async function render() {
  const { pathname, search } = window.location;
  ctx.notify('');
  updateSignInLink();
  main.dataset.ready = 'false';
  main.setAttribute('aria-busy', 'true');
  try {
    const product = PRODUCT_PATH.exec(pathname);
    if (pathname === '/') await homePage(main, ctx);
    else if (product) await productPage(main, ctx, product[1]);
    else if (pathname === '/search') await searchPage(main, ctx, new URLSearchParams(search));
    else if (pathname === '/cart') await cartPage(main, ctx);
    else notFoundPage(main);
  } catch (error) {
    // A screen's critical call failed (the home page's catalog, say): say so kindly.
    main.replaceChildren(problemMessage(error));
  } finally {
    main.removeAttribute('aria-busy');
    main.dataset.ready = 'true';
  }
}

/** Same-origin links marked `data-link` navigate without reloading the page. */
document.addEventListener('click', (event) => {
  const anchor = /** @type {HTMLElement} */ (event.target).closest?.('a[data-link]');
  if (!(anchor instanceof HTMLAnchorElement)) return;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(anchor.href);
  if (url.origin !== window.location.origin) return;
  event.preventDefault();
  ctx.navigate(url.pathname + url.search);
  window.scrollTo(0, 0);
});

window.addEventListener('popstate', () => render());

/** The search box navigates to `/search?q=…`. */
document.querySelector('[data-testid="search-form"]')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.target);
  const q = String(new FormData(form).get('q') || '').trim();
  ctx.navigate(q ? `/search?${new URLSearchParams({ q })}` : '/search');
});

/** Shows who is signed in (or the sign-in link) and the cart badge. */
async function renderAccount() {
  const who = /** @type {HTMLElement} */ (document.querySelector('[data-testid="who"]'));
  const signIn = /** @type {HTMLAnchorElement} */ (document.querySelector('[data-testid="sign-in"]'));
  const signOut = /** @type {HTMLButtonElement} */ (document.querySelector('[data-testid="sign-out"]'));
  try {
    ctx.session = await api.session();
  } catch {
    ctx.session = null;
  }
  const user = ctx.session && ctx.session.user;
  who.textContent = user ? `Hello, ${user.name || 'there'}` : '';
  who.hidden = !user;
  signIn.hidden = Boolean(user);
  signOut.hidden = !user;
  if (user) {
    api.cart().then((cart) => ctx.setCartCount(cart.item_count), () => ctx.setCartCount(null));
  } else {
    ctx.setCartCount(null);
  }
}

document.querySelector('[data-testid="sign-out"]')?.addEventListener('click', async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  button.disabled = true;
  try {
    await api.logout();
  } catch {
    button.disabled = false;
    ctx.notify('Signing out failed. Please try again.');
  }
});

/** Signing in comes back to the page the user is on. */
function updateSignInLink() {
  const signIn = /** @type {HTMLAnchorElement} */ (document.querySelector('[data-testid="sign-in"]'));
  signIn.href = api.loginUrl(window.location.pathname + window.location.search);
}

renderAccount();
render();
