// A scripted user agent for the journeys: a cookie jar (per host and path, as a browser keeps
// them on localhost, `Secure` cookies included), redirects followed by hand, and the provider's
// login and consent forms filled in as a user would.

/** One `Set-Cookie` header: name, value, path, and whether it deletes the cookie. */
function parseSetCookie(header) {
  const [pair, ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  const cookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path: '/', expired: false };
  for (const attribute of attributes) {
    const [key, value = ''] = attribute.split('=');
    const name = key.trim().toLowerCase();
    if (name === 'path') cookie.path = value.trim() || '/';
    if (name === 'max-age' && Number(value) <= 0) cookie.expired = true;
    if (name === 'expires' && Date.parse(value) < Date.now()) cookie.expired = true;
  }
  if (cookie.value === '') cookie.expired = true;
  return cookie;
}

export class Browser {
  constructor() {
    /** host → [{name, value, path}] */
    this.cookies = new Map();
  }

  cookieHeader(url) {
    const jar = this.cookies.get(url.hostname) ?? [];
    return jar
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  store(url, response) {
    const jar = this.cookies.get(url.hostname) ?? [];
    for (const header of response.headers.getSetCookie()) {
      const cookie = parseSetCookie(header);
      const kept = jar.filter((c) => !(c.name === cookie.name && c.path === cookie.path));
      jar.length = 0;
      jar.push(...kept);
      if (!cookie.expired) jar.push(cookie);
    }
    this.cookies.set(url.hostname, jar);
  }

  has(host, name) {
    return (this.cookies.get(host) ?? []).some((c) => c.name === name);
  }

  /** One request, no redirect followed; the answer's cookies are kept. */
  async request(method, target, { form, json, headers = {} } = {}) {
    const url = new URL(target);
    const cookie = this.cookieHeader(url);
    const init = { method, redirect: 'manual', headers: { ...headers } };
    if (cookie) init.headers.cookie = cookie;
    if (form) {
      init.body = new URLSearchParams(form).toString();
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers['content-type'] = 'application/json';
    }
    const response = await fetch(url, init);
    this.store(url, response);
    return response;
  }

  get(url, options) {
    return this.request('GET', url, options);
  }

  /**
   * Follows redirects from `start` and fills in the provider's pages (`user` signs in, or
   * cancels when `cancel`; consent is given) until a redirect leads to a URL that starts with
   * `stopAt`: returns that URL, unfollowed.
   */
  async signIn(start, stopAt, { user = 'ada', password = 'demo', cancel = false } = {}) {
    let next = start;
    let response;
    for (let hop = 0; hop < 20; hop += 1) {
      if (next.startsWith(stopAt)) return next;
      response = await this.get(next);
      if (response.status >= 300 && response.status < 400) {
        next = new URL(response.headers.get('location'), next).href;
        continue;
      }
      const html = await response.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      if (response.status !== 200 || !action) {
        throw new Error(`the provider answered ${response.status} at ${new URL(next).pathname}: ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
      }
      const target = new URL(action.replace(/&amp;/g, '&'), next).href;
      const form = action.endsWith('/login')
        ? (cancel ? { action: 'deny' } : { username: user, password, action: 'login' })
        : { action: 'allow' };
      response = await this.request('POST', target, { form });
      if (!(response.status >= 300 && response.status < 400)) {
        const text = await response.text();
        throw new Error(`the provider's form answered ${response.status}: ${text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
      }
      next = new URL(response.headers.get('location'), target).href;
    }
    throw new Error('more than 20 redirects');
  }
}
