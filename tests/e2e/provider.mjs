// A real, certified OpenID provider (oidc-provider) on loopback for tests/browser_e2e.rs.
//
// Configured through the environment:
//   PORT                      port on 127.0.0.1 (the issuer is http://127.0.0.1:PORT)
//   CLIENT_ID, CLIENT_SECRET  the app's confidential client (client_secret_basic)
//   REDIRECT_URI              the app's callback
//   POST_LOGOUT_REDIRECT_URI  the app's signed-out landing
//   ACCESS_TOKEN_TTL          access token lifetime in seconds (short, so the test sees a refresh)
//   ACCOUNTS                  optional JSON {"<sub>": {"name": ..., "email": ...}}: claims of
//                             known accounts; any other login name is an account with just a sub
//   GATEWAY_RESOURCE          optional resource indicator of the Filevine gateway stand-in
//   BACKCHANNEL_LOGOUT_URI    optional: the app's /auth/backchannel-logout. When set, the
//                             backchannelLogout feature is on, the client is registered with it
//                             (and backchannel_logout_session_required, so ID tokens carry
//                             `sid`), and a sign-out at the provider posts a logout token there
//
// What it does like Filevine Identity, and how (each is a deliberate setting below):
// - PKCE S256 required, RS512-signed ID tokens, refresh tokens rotated on every use.
// - Access tokens are for the gateway (RFC 8707 resource indicator, chosen by default since the
//   app sends no `resource`), carry the `fv.api.gateway.access` scope and are opaque: the
//   gateway stand-in checks them at this provider's introspection endpoint.
// - A refresh token is issued whenever the client may use the refresh_token grant. The default
//   needs `offline_access` granted, which OpenID Connect only grants with `prompt=consent`; the
//   app sends no prompt (Filevine issues refresh tokens without one).
//
// It prints one JSON line per event on stdout ({"event": "ready" | "grant.success" | ...}); the
// test reads them, e.g. to see that a refresh_token grant happened. Nothing secret is printed.
//
// The stock pages @import a web font from the Internet; a middleware strips that so the browser
// only ever talks to loopback. It also answers /favicon.ico (204), which the stock provider
// leaves a 404: a console error in the browser.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`provider.mjs: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const PORT = Number(env('PORT'));
const ISSUER = `http://127.0.0.1:${PORT}`;
const ACCESS_TOKEN_TTL = Number(env('ACCESS_TOKEN_TTL', '10'));
const GATEWAY_RESOURCE = env('GATEWAY_RESOURCE', 'urn:fv-partner-app:e2e:gateway');
const GATEWAY_SCOPE = 'fv.api.gateway.access';
const ACCOUNTS = JSON.parse(env('ACCOUNTS', '{}'));
const BACKCHANNEL_LOGOUT_URI = process.env.BACKCHANNEL_LOGOUT_URI || undefined;

function log(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

// A fresh signing key per run: nothing to keep secret in the repository.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS512',
};

// Plain pages without remote fonts (the stock ones @import them).
function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><main><h1>${title}</h1>${body}</main></body></html>`;
}
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const configuration = {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    post_logout_redirect_uris: [env('POST_LOGOUT_REDIRECT_URI')],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS512',
    ...(BACKCHANNEL_LOGOUT_URI && {
      backchannel_logout_uri: BACKCHANNEL_LOGOUT_URI,
      backchannel_logout_session_required: true,
    }),
  }],
  jwks: { keys: [signingKey] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'RS512'] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { methods: ['S256'], required: () => true },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  async findAccount(ctx, id) {
    const known = ACCOUNTS[id] ?? { preferred_username: id };
    return { accountId: id, async claims() { return { ...known, sub: id }; } };
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    AuthorizationCode: 60,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 3600,
    Session: 3600,
  },
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true },
    backchannelLogout: { enabled: Boolean(BACKCHANNEL_LOGOUT_URI) },
    revocation: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Do you want to sign-out?', `<p>Signing out of ${escapeHtml(ctx.host)}.</p>${form}`
          + '<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button> '
          + '<button type="submit" form="op.logoutForm">No, stay signed in</button>');
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Sign-out Success', '<p>Your sign-out was successful.</p>');
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => GATEWAY_RESOURCE,
      useGrantedResource: async () => true,
      async getResourceServerInfo(ctx, resource) {
        if (resource !== GATEWAY_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: GATEWAY_SCOPE,
          audience: GATEWAY_RESOURCE,
          accessTokenTTL: ACCESS_TOKEN_TTL,
          accessTokenFormat: 'opaque',
        };
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
  },
};

const provider = new Provider(ISSUER, configuration);

const REMOTE_IMPORT = /@import url\(https?:[^)]*\);?/g;
provider.use(async (ctx, next) => {
  // Browsers ask every origin for a favicon; a 404 would be a console error, and the test
  // fails on any console error, on any origin.
  if (ctx.path === '/favicon.ico') {
    ctx.status = 204;
    return;
  }
  await next();
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(REMOTE_IMPORT, '');
  }
});

provider.on('grant.success', (ctx) => log('grant.success', {
  grant_type: ctx.oidc.params.grant_type,
}));
for (const event of ['grant.error', 'authorization.error', 'end_session.error',
  'introspection.error', 'server_error', 'backchannel.error']) {
  provider.on(event, (ctx, err) => log(event, { error: err.error ?? err.name, detail: err.error_description ?? err.message }));
}
provider.on('end_session.success', () => log('end_session.success'));
// A logout token the app answered 200 (or 204); `backchannel.error` above for anything else.
provider.on('backchannel.success', (ctx, client) => log('backchannel.success', {
  client_id: client.clientId,
}));

const server = provider.listen(PORT, '127.0.0.1', () => log('ready', { issuer: ISSUER }));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
