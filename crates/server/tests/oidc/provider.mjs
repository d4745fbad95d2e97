// A real OpenID Connect provider (the certified `oidc-provider` package) on
// loopback, for the single sign-on tests in crates/server/tests/api/sso.rs.
//
// Started by the Rust test with node; prints `issuer=http://127.0.0.1:PORT`
// on standard output once it listens, and stops when its standard input
// closes (the test ended). Settings come from the environment:
//   REDIRECT_URI   the relying party's callback (the one registered client)
//   CLIENT_ID, CLIENT_SECRET
//   TAMPER         empty for an honest provider; otherwise the token endpoint
//                  replaces the ID token with one signed by the provider's own
//                  key but with a wrong `nonce`, a wrong `aud`, or signed by
//                  an unpublished key (`signature`), which only the relying
//                  party's checks can catch.
//
// The person at the provider is chosen like typing a name in a login form:
// the `login_hint` of the authorization request names the account (by email);
// login and consent then complete without a form, through the provider's own
// interaction API (interactionDetails / interactionFinished and a Grant).

import http from 'node:http';
import { Provider } from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const ACCOUNTS = {
  'member@acme.test': { sub: 'acme-member-1', email: 'member@acme.test', email_verified: true },
  'lead@acme.test': { sub: 'acme-lead-1', email: 'lead@acme.test', email_verified: true },
  'stranger@acme.test': { sub: 'stranger-1', email: 'stranger@acme.test', email_verified: true },
  'unverified@acme.test': { sub: 'unverified-1', email: 'member@acme.test', email_verified: false },
};
const DEFAULT_ACCOUNT = 'member@acme.test';

const redirectUri = process.env.REDIRECT_URI;
const clientId = process.env.CLIENT_ID ?? 'roundtable';
const clientSecret = process.env.CLIENT_SECRET ?? 'roundtable-test-secret';
const tamper = process.env.TAMPER ?? '';
if (!redirectUri) {
  console.error('REDIRECT_URI is required');
  process.exit(2);
}

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

const published = await signingKey('published-key');
const unpublished = await signingKey('unpublished-key');

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [published] },
  cookies: { keys: ['roundtable-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = Object.values(ACCOUNTS).find((candidate) => candidate.sub === sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ ...account }) };
  },
});

// The misbehaving token endpoint: same key (or an unpublished one), one claim wrong.
provider.use(async (ctx, next) => {
  await next();
  if (!tamper || ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const claims = decodeJwt(ctx.body.id_token);
  let key = published;
  if (tamper === 'nonce') claims.nonce = 'a-nonce-this-browser-never-sent';
  else if (tamper === 'aud') claims.aud = 'another-client';
  else if (tamper === 'signature') key = unpublished;
  else throw new Error(`unknown TAMPER ${tamper}`);
  const { importJWK } = await import('jose');
  ctx.body.id_token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .sign(await importJWK(key, 'RS256'));
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const hint = details.params.login_hint ?? DEFAULT_ACCOUNT;
  const account = ACCOUNTS[hint];
  if (!account) {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: `no account ${hint}`,
    }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } },
      { mergeWithLastSubmission: false });
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      console.error(error);
      res.statusCode = 500;
      res.end(String(error));
    });
  } else {
    callback(req, res);
  }
});

process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
console.log(`issuer=${issuer}`);
