// The provider's own pages (oidc-provider ships none for production): the login form, checking
// the demo users' password, and the consent form. Field names as dev-idp's login page
// (`username`, `password`, `action` = login | deny), so a test that fills in one fills in both.
import { USERS, PASSWORD, authenticate } from './users.js';

/** Text made safe for HTML element content and quoted attribute values. */
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function page(res, status, title, body) {
  res.writeHead(status, HEADERS);
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} – oidc-provider (tests)</title>
<style>body{font-family:system-ui,sans-serif;max-width:34em;margin:2em auto}label,button{display:block;margin:.6em 0}.error{color:#b00020}</style></head>
<body><p><strong>TESTS ONLY</strong>: oidc-provider with the storefront's demo users.</p>${body}</body></html>`);
}

function loginPage(res, uid, details, error) {
  const { client_id: client, scope } = details.params;
  const rows = USERS.map((u) => `<tr><td><code>${escapeHtml(u.username)}</code></td><td>${escapeHtml(u.name)}</td></tr>`).join('');
  page(res, 200, 'Sign in', `<h1>Sign in</h1>
<p>The application <strong>${escapeHtml(client)}</strong> asks you to sign in (scope: <code>${escapeHtml(scope ?? '')}</code>).</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="deny" formnovalidate>Cancel</button></form>
<h2>Demo users</h2><p>Password: <code>${escapeHtml(PASSWORD)}</code></p><table>${rows}</table>`);
}

function consentPage(res, uid, details) {
  const { client_id: client } = details.params;
  const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details;
  const items = [...missingOIDCScope, ...Object.keys(missingResourceScopes)]
    .map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
  page(res, 200, 'Allow access', `<h1>Allow access</h1>
<p><strong>${escapeHtml(client)}</strong> asks for:</p><ul>${items}</ul>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button></form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const denied = (description) => ({ error: 'access_denied', error_description: description });

/** The `/interaction/...` routes of the provider `current()` returns (rotation swaps it). */
export function interactionRoutes(current) {
  return async (req, res, url) => {
    const provider = current();
    const [, , uid, step] = url.pathname.split('/');
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) return page(res, 400, 'Error', '<p>This sign-in is not the one in progress.</p>');
      const prompt = details.prompt.name;
      if (req.method === 'GET' && step === undefined) {
        return prompt === 'login' ? loginPage(res, uid, details) : consentPage(res, uid, details);
      }
      if (req.method !== 'POST') return page(res, 405, 'Error', '<p>Method not allowed.</p>');
      const form = await readForm(req);
      if (step === 'login' && prompt === 'login') {
        if (form.get('action') === 'deny') {
          return provider.interactionFinished(req, res, denied('the user cancelled the sign-in'), { mergeWithLastSubmission: false });
        }
        const user = authenticate(form.get('username'), form.get('password'));
        if (!user) return loginPage(res, uid, details, 'Unknown user or wrong password.');
        return provider.interactionFinished(req, res, { login: { accountId: user.id, remember: false } }, { mergeWithLastSubmission: false });
      }
      if (step === 'confirm' && prompt === 'consent') {
        if (form.get('action') !== 'allow') {
          return provider.interactionFinished(req, res, denied('the user refused consent'), { mergeWithLastSubmission: false });
        }
        const { prompt: { details: missing }, params, session, grantId } = details;
        const grant = grantId
          ? await provider.Grant.find(grantId)
          : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const saved = await grant.save();
        const consent = grantId ? {} : { grantId: saved };
        return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
      }
      return page(res, 400, 'Error', '<p>This step does not belong to the sign-in in progress.</p>');
    } catch (error) {
      console.log(`interaction ${url.pathname}: ${error.name}: ${error.message}`);
      return page(res, 400, 'Error', '<p>The sign-in could not continue; start again from the application.</p>');
    }
  };
}
