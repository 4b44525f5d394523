// The storefront page in a real headless Chromium (Debian's, driven by playwright-core) against
// a running stack: bff-web, the dev identity provider and the five demo upstreams, each its own
// process. scripts/browser-tests.sh starts them and passes:
//   STOREFRONT_URL        bff-web's public origin (http://localhost:18100)
//   RECOMMENDATIONS_PID   the recommendations process, which the last test stops
//   OUTPUT_DIR            where screenshots go (target/browser-tests)
//   CHROMIUM              the browser (/usr/bin/chromium)

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const BASE = process.env.STOREFRONT_URL || 'http://localhost:18100';
const OUTPUT_DIR = process.env.OUTPUT_DIR || 'target/browser-tests';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 15_000;

/** Access and ID tokens are JWTs: three base64url parts, the first a JSON object. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
/** Token fields of OAuth responses, which the page must never be handed. */
const TOKEN_FIELDS = /"(access_token|refresh_token|id_token)"/;

let browser;

before(async () => {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Containers and CI run as root without a user namespace sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A fresh browser profile (own cookies and cache) with a page that records what a token could
 * leak through: every body bff-web sent, console errors and CSP violations.
 */
async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const seen = { bodies: [], errors: [] };
  page.on('console', (message) => {
    const text = message.text();
    // Chromium logs every 4xx a fetch gets (401 while signed out is expected): not an error.
    if (message.type() === 'error' && !text.startsWith('Failed to load resource')) seen.errors.push(text);
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  page.on('response', async (response) => {
    if (!response.url().startsWith(BASE)) return;
    const type = response.headers()['content-type'] || '';
    if (!/json|javascript|html/.test(type)) return;
    try {
      seen.bodies.push({ url: response.url(), body: await response.text() });
    } catch {
      // A redirect has no body.
    }
  });
  return { context, page, seen };
}

/** Waits until the client-side router has rendered the current route. */
async function rendered(page) {
  await page.waitForSelector('main[data-ready="true"]:not([aria-busy])');
}

/** Waits until every image in the viewport has loaded (so CSP and srcset both worked). */
async function imagesLoaded(page) {
  await page.waitForFunction(() => [...document.images]
    .filter((image) => {
      const box = image.getBoundingClientRect();
      return box.top < window.innerHeight && box.bottom > 0 && box.width > 0;
    })
    .every((image) => image.complete && image.naturalWidth > 0));
}

/** Asserts that nothing the page can read holds a token or the session id. */
async function assertNoTokenInPage(context, page, seen) {
  const cookies = await context.cookies(BASE);
  const session = cookies.find((cookie) => /session$/.test(cookie.name));
  const exposed = await page.evaluate(() => ({
    html: document.documentElement.outerHTML,
    local: JSON.stringify({ ...window.localStorage }),
    sessionStorage: JSON.stringify({ ...window.sessionStorage }),
    cookie: document.cookie,
    url: window.location.href,
  }));
  const readable = cookies.filter((cookie) => !cookie.httpOnly).map((c) => `${c.name}=${c.value}`).join('; ');
  const places = {
    ...exposed,
    readableCookies: readable,
    responses: seen.bodies.map((b) => `${b.url}\n${b.body}`).join('\n'),
  };
  for (const [where, text] of Object.entries(places)) {
    assert.doesNotMatch(text, JWT, `a JWT in ${where}`);
    assert.doesNotMatch(text, TOKEN_FIELDS, `a token field in ${where}`);
    if (session) assert.ok(!text.includes(session.value), `the session id in ${where}`);
  }
  return session;
}

test('sign in, search, open a product, add it to the cart, see it, sign out, cart refused', async () => {
  const { context, page, seen } = await openPage();

  // Anonymous home: the shelves render with responsive images from the catalog.
  await page.goto(`${BASE}/`);
  await rendered(page);
  await page.getByTestId('sign-in').waitFor();
  assert.equal(await page.getByTestId('shelf-featured').locator('[data-testid="card"]').count(), 24);

  // Sign in as ada on the provider's own login page.
  await page.getByTestId('sign-in').click();
  await page.waitForURL((url) => !url.href.startsWith(BASE));
  await page.locator('input[name="username"]').fill('ada');
  await page.locator('input[name="password"]').fill('demo');
  await page.locator('button[name="action"][value="login"]').click();
  await page.waitForURL(`${BASE}/`);
  await rendered(page);
  await page.getByTestId('who').getByText('Ada Lovelace').waitFor();
  assert.ok(await page.getByTestId('sign-out').isVisible());

  const session = (await context.cookies(BASE)).find((cookie) => /session$/.test(cookie.name));
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Strict');

  // The home page, signed in, every image in view loaded through the CSP.
  await page.getByTestId('shelf-popular').waitFor();
  await imagesLoaded(page);
  const hero = await page.locator('[data-testid="hero"] img').evaluate((image) => ({
    current: image.currentSrc, srcset: image.srcset, sizes: image.sizes,
  }));
  assert.ok(hero.srcset.split(', ').length >= 4, 'the hero has a srcset');
  assert.ok(hero.srcset.includes(hero.current), `the browser picked a rendition: ${hero.current}`);
  assert.ok(hero.sizes.length > 0, 'the page says how wide the image is laid out');
  await page.screenshot({ path: join(OUTPUT_DIR, 'home.png'), fullPage: false });

  // Search through the header's search box: the search page asks bff-web's GraphQL endpoint.
  const restSearches = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${BASE}/api/search`)) restSearches.push(request.url());
  });
  await page.locator('#search-q').fill('wireless');
  const graphqlAnswer = page.waitForResponse((response) => response.url() === `${BASE}/graphql`
    && response.request().method() === 'POST');
  await page.locator('#search-q').press('Enter');
  const answer = await graphqlAnswer;
  assert.equal(answer.status(), 200);
  const sent = answer.request().postDataJSON();
  assert.equal(sent.operationName, 'SearchPage');
  assert.equal(sent.variables.q, 'wireless');
  const searchData = await answer.json();
  assert.equal(searchData.errors, undefined, JSON.stringify(searchData.errors));
  assert.ok(searchData.data.search.totalCount > 0);
  await page.waitForURL(`${BASE}/search?q=wireless`);
  await rendered(page);
  const results = page.getByTestId('results').locator('[data-testid="card"]');
  assert.ok((await results.count()) > 0, 'search finds wireless products');
  assert.equal(await results.count(), searchData.data.search.products.length);
  assert.ok((await results.first().locator('.price').count()) > 0, 'cards show prices (offers batch)');
  assert.deepEqual(restSearches, [], 'the search page does not use /api/search');

  // Open the first result: the product page.
  const first = results.first();
  const productId = await first.getAttribute('data-id');
  await first.locator('a').first().click();
  await page.waitForURL(`${BASE}/products/${productId}`);
  await rendered(page);
  const name = (await page.getByTestId('product-name').textContent()).trim();
  assert.ok(name.length > 0);
  await page.getByTestId('price').waitFor();
  await imagesLoaded(page);
  await page.screenshot({ path: join(OUTPUT_DIR, 'product.png'), fullPage: false });

  // Add to cart; the badge counts it (the demo cart may hold other lines already).
  await page.getByTestId('add-to-cart').click();
  await page.getByTestId('added').waitFor();
  assert.ok(Number(await page.getByTestId('cart-count').textContent()) >= 1, 'the cart badge counts the item');

  // The cart shows the item.
  await page.locator('a.cart-link').click();
  await page.waitForURL(`${BASE}/cart`);
  await rendered(page);
  const line = page.locator(`[data-testid="cart-line"][data-id="${productId}"]`);
  assert.equal(await line.count(), 1, 'the product is in the cart');
  assert.equal((await line.getByTestId('cart-line-name').textContent()).trim(), name);
  assert.match(await line.textContent(), /Quantity: \d+/);

  // Nothing the page can read holds a token (or the session id) while signed in.
  await assertNoTokenInPage(context, page, seen);

  // Removing works too.
  await line.getByTestId('remove').click();
  await line.waitFor({ state: 'detached' });

  // Sign out: the BFF ends the session, the provider's end-session page sends the browser home.
  await page.getByTestId('sign-out').click();
  await page.waitForURL(`${BASE}/`);
  await rendered(page);
  await page.getByTestId('sign-in').waitFor({ state: 'visible' });
  const after = (await context.cookies(BASE)).find((cookie) => /session$/.test(cookie.name));
  assert.equal(after, undefined, 'the session cookie is gone');

  // The cart is refused now: a 401 shown as "please sign in", not an error page.
  await page.goto(`${BASE}/cart`);
  await rendered(page);
  const problem = page.getByTestId('problem');
  await problem.waitFor();
  assert.equal(await problem.getAttribute('data-status'), '401');
  assert.match(await problem.textContent(), /please sign in/i);
  assert.ok(await page.getByTestId('problem-sign-in').isVisible());

  await assertNoTokenInPage(context, page, seen);
  assert.deepEqual(seen.errors, [], 'no script errors or CSP violations');
  await context.close();
});

test('a product that does not exist is a friendly message, not an error page', async () => {
  const { context, page, seen } = await openPage();
  await page.goto(`${BASE}/products/p99999`);
  await rendered(page);
  const problem = page.getByTestId('problem');
  await problem.waitFor();
  assert.equal(await problem.getAttribute('data-status'), '404');
  assert.match(await problem.textContent(), /could not find this product/i);
  assert.doesNotMatch(await page.locator('main').textContent(), /problem\+json|stack|panicked/i);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('with recommendations down the home page still renders, the popular shelf hidden', async () => {
  const pid = Number(process.env.RECOMMENDATIONS_PID);
  assert.ok(pid > 0, 'RECOMMENDATIONS_PID names the recommendations process');
  process.kill(pid, 'SIGTERM');
  // Wait until it no longer answers (it drains in-flight requests first).
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    assert.ok(Date.now() < deadline, 'recommendations did not stop');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const { context, page, seen } = await openPage();
  const home = page.waitForResponse((response) => response.url() === `${BASE}/api/home`);
  await page.goto(`${BASE}/`);
  const screen = await (await home).json();
  assert.deepEqual(screen.degraded, ['recommendations'], 'the BFF names the missing section');
  await rendered(page);

  assert.equal(await page.getByTestId('shelf-popular').count(), 0, 'the popular shelf is hidden');
  assert.equal(await page.getByTestId('shelf-featured').locator('[data-testid="card"]').count(), 24);
  assert.ok(await page.getByTestId('hero').isVisible());
  assert.equal(await page.getByTestId('problem').count(), 0, 'no error message');
  await page.screenshot({ path: join(OUTPUT_DIR, 'home-degraded.png'), fullPage: true });
  assert.deepEqual(seen.errors, []);
  await context.close();
});
