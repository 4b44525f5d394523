// An OpenID Certified provider (panva's oidc-provider) configured as a real deployment of the
// storefront would configure it: the dev-idp's demo users and clients, resource indicators
// (RFC 8707) with one audience per JWT access token (RFC 9068, `typ` at+jwt), refresh-token
// rotation, revocation, RP-initiated logout, the RFC 9207 `iss` response parameter, and OAuth 2.0
// Token Exchange (RFC 8693) for the BFFs' calls to their upstreams. FOR TESTS ONLY: its users,
// secrets and keys live in memory, and `/_control` (when enabled) rotates keys on request.
//
// Settings (environment):
//   OIDC_ISSUER            the issuer URL (default http://localhost:7400); its port is the listen
//                          port unless OIDC_PORT says otherwise
//   OIDC_PORT, OIDC_HOST   where to listen (default: the issuer's port, 127.0.0.1)
//   OIDC_WEB_ORIGIN        bff-web's public origin: redirect URI {origin}/auth/callback,
//                          post-logout redirect URI {origin}/ (default http://localhost:8080)
//   OIDC_WEB_SECRET        bff-web's client secret (default dev-secret-change-me)
//   OIDC_MOBILE_SECRET     bff-mobile's client secret, for token exchange (default
//                          bff-mobile-secret-change-me)
//   OIDC_ACCESS_TOKEN_TTL  access-token lifetime in seconds (default 300)
//   OIDC_CLIENT_AUTH       how the confidential clients authenticate, the only method besides
//                          `none` that discovery announces: client_secret_basic (default) or
//                          client_secret_post
//   OIDC_KEYS_FILE         a private JWKS ({"keys": [...]}) to sign with, the first key signing;
//                          default: one RSA key generated at start
//   OIDC_CONTROL           `1` serves POST /_control/rotate-keys and GET /_control/* (tests)
//
// Routes besides the provider's own: GET /healthz, /interaction/{uid} (the login and consent
// pages), and /_control/* when enabled.
import { createServer } from 'node:http';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { escapeHtml, interactionRoutes } from './interactions.js';
import { USERS, findAccount } from './users.js';

const issuer = process.env.OIDC_ISSUER ?? 'http://localhost:7400';
const port = Number(process.env.OIDC_PORT ?? new URL(issuer).port ?? 7400);
const host = process.env.OIDC_HOST ?? '127.0.0.1';
const webOrigin = (process.env.OIDC_WEB_ORIGIN ?? 'http://localhost:8080').replace(/\/$/, '');
const accessTokenTtl = Number(process.env.OIDC_ACCESS_TOKEN_TTL ?? 300);
const controlEnabled = process.env.OIDC_CONTROL === '1';
const clientAuth = process.env.OIDC_CLIENT_AUTH ?? 'client_secret_basic';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

// The APIs (resource servers): resource indicator → the `aud` of their tokens. Each access token
// names one of them (the provider refuses several audiences in one token).
const RESOURCES = {
  'urn:storefront:bff-web': 'bff-web',
  'urn:storefront:bff-mobile': 'bff-mobile',
  'urn:storefront:accounts': 'accounts',
  'urn:storefront:recommendations': 'recommendations',
};

// Which client may ask for which resource: at sign-in (`resource`) and by token exchange
// (`audience`), the latter only for a subject token issued to the client or for its own API.
const CLIENT_POLICY = {
  'bff-web': { resources: ['bff-web'], exchange: ['accounts', 'recommendations'], api: 'bff-web' },
  'bff-mobile': { resources: [], exchange: ['accounts', 'recommendations'], api: 'bff-mobile' },
  'mobile-app': { resources: ['bff-mobile'], exchange: [], api: undefined },
};

const clients = [
  {
    client_id: 'bff-web',
    client_secret: process.env.OIDC_WEB_SECRET ?? 'dev-secret-change-me',
    client_name: 'Storefront (web)',
    token_endpoint_auth_method: clientAuth,
    grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
    response_types: ['code'],
    redirect_uris: [`${webOrigin}/auth/callback`],
    post_logout_redirect_uris: [`${webOrigin}/`],
    scope: 'openid offline_access profile email',
  },
  {
    // The mobile BFF: a resource server that exchanges the app's tokens for its upstreams.
    client_id: 'bff-mobile',
    client_secret: process.env.OIDC_MOBILE_SECRET ?? 'bff-mobile-secret-change-me',
    client_name: 'Storefront mobile BFF',
    token_endpoint_auth_method: clientAuth,
    grant_types: [TOKEN_EXCHANGE],
    response_types: [],
    redirect_uris: [],
  },
  {
    // The app: a public native client (PKCE), loopback and custom-scheme redirects.
    client_id: 'mobile-app',
    client_name: 'Storefront app',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['com.example.storefront:/oauth/callback', 'http://127.0.0.1:8765/callback'],
    post_logout_redirect_uris: ['com.example.storefront:/oauth/logout'],
    scope: 'openid offline_access profile email',
  },
];

/**
 * A new RSA signing key (RS256: what Keycloak, Auth0 and Entra ID sign with by default).
 * Generated off the main thread: Node 20's generateKeyPairSync deadlocked here now and then
 * (about one start in eight, waiting on a futex before the provider was built).
 */
async function newSigningKey() {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `rsa-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, use: 'sig', alg: 'RS256' };
}

// The signing keys, newest (signing) first. Rotation replaces the provider instance; the
// in-memory store of grants, sessions and tokens is the module's, shared by every instance.
let keys = process.env.OIDC_KEYS_FILE
  ? JSON.parse(readFileSync(process.env.OIDC_KEYS_FILE, 'utf8')).keys
  : [await newSigningKey()];
const cookieKeys = [randomBytes(32).toString('base64url')];
const publicJwks = () => ({
  keys: keys.map(({ kty, kid, use, alg, n, e, crv, x, y }) => ({ kty, kid, use, alg, n, e, crv, x, y })),
});

// Test hooks (only read through /_control): what a replay test needs to act as a thief.
const observed = { refreshGrants: {}, exchanges: {}, consumedRefreshTokens: {}, clientAuth: {} };

function resourceServerInfo(audience) {
  return {
    audience,
    // The APIs define no scopes of their own; their tokens carry none.
    scope: '',
    accessTokenFormat: 'jwt',
    accessTokenTTL: accessTokenTtl,
    jwt: { sign: { alg: 'RS256' } },
  };
}

function configuration() {
  return {
    clients,
    clientAuthMethods: [clientAuth, 'none'],
    findAccount,
    jwks: { keys },
    cookies: { keys: cookieKeys },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'storefront:admin'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      IdToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: 8 * 3600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      Interaction: 600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, indicator, client) => {
          const audience = RESOURCES[indicator];
          if (!audience || !CLIENT_POLICY[client.clientId]?.resources.includes(audience)) {
            throw new errors.InvalidTarget(`this client may not ask for ${indicator}`);
          }
          return resourceServerInfo(audience);
        },
      },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Error</title><h1>Sign-in error</h1><p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</p>`;
    },
  };
}

/** RFC 8693: exchanges an access token this provider issued for one naming another audience. */
function tokenExchange(provider) {
  return async (ctx) => {
    const { client, params } = ctx.oidc;
    const policy = CLIENT_POLICY[client.clientId];
    for (const name of ['subject_token', 'subject_token_type']) {
      if (!params[name]) throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    }
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest('only access tokens can be exchanged');
    }
    if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest('only access tokens can be requested');
    }
    if (params.actor_token) throw new errors.InvalidRequest('actor tokens are not supported');
    const audiences = [params.audience ?? []].flat();
    const resources = [params.resource ?? []].flat().map((r) => RESOURCES[r] ?? r);
    const targets = [...new Set([...audiences, ...resources])];
    if (targets.length !== 1) throw new errors.InvalidTarget('name exactly one audience');
    const [audience] = targets;
    if (!policy?.exchange.includes(audience)) {
      throw new errors.InvalidTarget(`this client may not exchange tokens for ${audience}`);
    }
    const subject = await verifySubjectToken(provider, params.subject_token);
    const forThisClient = subject.clientId === client.clientId
      || (policy.api !== undefined && subject.audiences.includes(policy.api));
    if (!forThisClient) throw new errors.InvalidGrant('the subject token is not for this client');
    const account = await findAccount(ctx, subject.accountId);
    if (!account) throw new errors.InvalidGrant('the subject token names no known user');
    // Never outlives the token it replaces.
    const remaining = subject.expiresAt - Math.floor(Date.now() / 1000);
    const at = new provider.AccessToken({
      accountId: subject.accountId,
      client,
      gty: 'token-exchange',
      expiresIn: Math.max(1, Math.min(accessTokenTtl, remaining)),
    });
    at.resourceServer = new provider.ResourceServer(`urn:storefront:${audience}`, resourceServerInfo(audience));
    ctx.oidc.entity('AccessToken', at);
    const value = await at.save();
    observed.exchanges[`${client.clientId} ${audience}`] = (observed.exchanges[`${client.clientId} ${audience}`] ?? 0) + 1;
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: at.expiration,
    };
  };
}

/** The subject token's user, client, audiences and expiry, if this provider issued it. */
async function verifySubjectToken(provider, token) {
  const invalid = () => new errors.InvalidGrant('the subject token is invalid, expired or revoked');
  if (token.split('.').length === 3) {
    try {
      const { typ } = decodeProtectedHeader(token);
      if (typ !== 'at+jwt') throw invalid();
      const { payload } = await jwtVerify(token, createLocalJWKSet(publicJwks()), {
        issuer,
        typ: 'at+jwt',
        algorithms: ['RS256'],
      });
      return {
        accountId: payload.sub,
        clientId: payload.client_id,
        audiences: [payload.aud].flat(),
        expiresAt: payload.exp,
      };
    } catch {
      throw invalid();
    }
  }
  const opaque = await provider.AccessToken.find(token);
  if (!opaque || opaque.isExpired || !opaque.accountId) throw invalid();
  return {
    accountId: opaque.accountId,
    clientId: opaque.clientId,
    audiences: [opaque.aud ?? []].flat(),
    expiresAt: opaque.exp,
  };
}

function newProvider() {
  const provider = new Provider(issuer, configuration());
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    tokenExchange(provider),
    ['audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type'],
    ['audience', 'resource'],
  );
  // How each client authenticated at the token and revocation endpoints (oidc-provider takes
  // client_secret_basic and client_secret_post alike, whatever discovery announces).
  provider.use(async (ctx, next) => {
    await next();
    const client = ctx.oidc?.client?.clientId;
    if (!client || !['token', 'revocation'].includes(ctx.oidc.route)) return;
    const method = /^basic /i.test(ctx.headers.authorization ?? '') ? 'client_secret_basic'
      : ctx.oidc.params?.client_secret ? 'client_secret_post' : 'none';
    observed.clientAuth[`${client} ${method}`] = (observed.clientAuth[`${client} ${method}`] ?? 0) + 1;
  });
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params.grant_type === 'refresh_token') {
      const id = ctx.oidc.client.clientId;
      observed.refreshGrants[id] = (observed.refreshGrants[id] ?? 0) + 1;
    }
  });
  provider.on('refresh_token.consumed', (token) => {
    observed.consumedRefreshTokens[token.clientId] = token.jti;
  });
  for (const event of ['grant.error', 'authorization.error', 'end_session.error', 'revocation.error']) {
    provider.on(event, (ctx, error) => {
      console.log(`${event}: ${error.error ?? error.name}: ${error.error_description ?? error.message} (client ${ctx.oidc?.client?.clientId ?? '-'})`);
    });
  }
  return provider;
}

let provider = newProvider();
let handle = provider.callback();
const interactions = interactionRoutes(() => provider);

/** Replaces the signing key: a new key signs at once; `keep` previous keys stay published. */
async function rotateKeys(keep) {
  keys = [await newSigningKey(), ...keys.slice(0, keep)];
  provider = newProvider();
  handle = provider.callback();
  console.log(`keys rotated: signing with ${keys[0].kid}; published: ${keys.map((k) => k.kid).join(', ')}`);
  return { signing: keys[0].kid, published: keys.map((k) => k.kid) };
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function control(req, res, url) {
  if (req.method === 'POST' && url.pathname === '/_control/rotate-keys') {
    return json(res, 200, await rotateKeys(Number(url.searchParams.get('keep') ?? 1)));
  }
  if (req.method === 'GET' && url.pathname === '/_control/stats') {
    return json(res, 200, {
      refresh_grants: observed.refreshGrants,
      exchanges: observed.exchanges,
      client_auth: observed.clientAuth,
    });
  }
  if (req.method === 'GET' && url.pathname === '/_control/consumed-refresh-token') {
    const token = observed.consumedRefreshTokens[url.searchParams.get('client_id')];
    return token ? json(res, 200, { refresh_token: token }) : json(res, 404, { error: 'none consumed' });
  }
  return json(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
  if (url.pathname.startsWith('/interaction/')) return interactions(req, res, url);
  if (url.pathname.startsWith('/_control/') && controlEnabled) {
    return control(req, res, url).catch((error) => json(res, 500, { error: String(error) }));
  }
  return handle(req, res);
});
server.listen(port, host, () => {
  console.log(`oidc-provider ${issuer} on ${host}:${port}; users ${USERS.map((u) => u.username).join(', ')}; signing key ${keys[0].kid}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));

