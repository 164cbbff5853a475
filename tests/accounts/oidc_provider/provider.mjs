// A real OpenID Connect provider for the test suite: the certified `oidc-provider` package,
// on a loopback port, with clients and accounts the tests set up.
//
//   node provider.mjs PORT CONFIG_JSON
//
// CONFIG_JSON: {"clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}]}
// Test-only routes (never part of a real provider):
//   PUT /test/accounts/<login>  {"email", "name", "email_verified", "groups"}: the claims of an account
//   PUT /test/tamper            {"mode": ""|"signature"|"audience"|"issuer"|"expired"|"nonce"}: the next
//                               token responses' ID token is changed that way (signed with the provider's
//                               own key, except "signature", which keeps a signature that no longer matches)
import * as crypto from 'node:crypto';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const settings = JSON.parse(process.argv[3] || '{}');
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
const signingKey = await jose.importJWK(signingJwk, 'RS256');

const accounts = new Map();
let tamper = '';

const provider = new Provider(issuer, {
  clients: (settings.clients || []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    ...client,
  })),
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['test-cookie-key-0123456789'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    // Groups travel with the profile, as Entra ID sends a groups or roles claim without a scope of its own.
    profile: ['name', 'groups'],
  },
  // The claims go in the ID token, as Microsoft Entra ID puts them there.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const claims = accounts.get(id) || { email: id, name: id, email_verified: true };
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...claims };
      },
    };
  },
  // First-party clients: the person is not asked to consent to the scopes.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

async function readJson(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

async function tampered(idToken) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  const sign = (payload) => new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid }).sign(signingKey);
  switch (tamper) {
    case 'signature': {
      const [header, , signature] = idToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claims, email: 'someone.else@northern.example' })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }
    case 'audience':
      return sign({ ...claims, aud: 'another-client' });
    case 'issuer':
      return sign({ ...claims, iss: 'http://127.0.0.1:1/elsewhere' });
    case 'expired':
      return sign({ ...claims, iat: now - 7200, exp: now - 3600 });
    case 'nonce':
      return sign({ ...claims, nonce: 'not-the-nonce-that-was-sent' });
    default:
      return idToken;
  }
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/test/accounts/') && ctx.method === 'PUT') {
    accounts.set(decodeURIComponent(ctx.path.slice('/test/accounts/'.length)), await readJson(ctx));
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/test/tamper' && ctx.method === 'PUT') {
    tamper = (await readJson(ctx)).mode || '';
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && tamper && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token) };
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
