// A real OpenID provider for the tests: panva's certified `oidc-provider` with its development
// login and consent pages, one confidential client (hepscope) and two users.
//
//   OIDC_PORT=0 OIDC_REDIRECT_URIS=http://127.0.0.1:8080/api/auth/oidc/callback node e2e/oidc/provider.mjs
//
// Prints `oidc-provider listening on <issuer>` once it accepts connections. The development login
// page takes the user name (`ada` or `grace`) and any password; any other name gets no account.
import http from 'node:http';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'hepscope';
export const CLIENT_SECRET = 'hepscope-test-secret';

/** The users: `groups` goes into the ID token (the `profile` scope). */
export const USERS = {
  ada: { name: 'Ada Lovelace', email: 'ada@example.org', groups: ['voip-support', 'staff'] },
  grace: { name: 'Grace Hopper', email: 'grace@example.org', groups: ['noc'] },
};

const port = Number(process.env.OIDC_PORT ?? 0);
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? '').split(',').filter(Boolean);
if (redirectUris.length === 0) {
  console.error('set OIDC_REDIRECT_URIS (comma-separated)');
  process.exit(2);
}

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // The user's claims in the ID token itself, as Keycloak and Azure AD put groups there.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name', 'groups'],
      email: ['email'],
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const user = USERS[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, preferred_username: id, ...user };
        },
      };
    },
  });
  // Plain HTTP on 127.0.0.1 only: the provider's cookies are not Secure there.
  server.on('request', provider.callback());
  console.log(`oidc-provider listening on ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
