import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The company sign-in e2e: panva's oidc-provider (../oidc/provider.mjs) and a second hepscope configured
// with [auth.oidc], each on a port of its own next to the main e2e server's.
const BASE_PORT = Number(process.env.E2E_PORT ?? 18080);
export const OIDC_PORT = BASE_PORT + 1;
export const SSO_PORT = BASE_PORT + 2;
export const OIDC_ISSUER = `http://127.0.0.1:${OIDC_PORT}`;
export const SSO_URL = `http://127.0.0.1:${SSO_PORT}`;
export const SSO_NAME = 'Example ID';

/** Writes the SSO hepscope's config file and returns its path. */
export function ssoConfigFile(): string {
  const file = path.join(os.tmpdir(), `hepscope-e2e-sso-${BASE_PORT}.toml`);
  fs.writeFileSync(file, `
[auth.oidc]
name = "${SSO_NAME}"
issuer = "${OIDC_ISSUER}"
client_id = "hepscope"
client_secret = "hepscope-test-secret"
redirect_url = "${SSO_URL}/api/auth/oidc/callback"

[[auth.role_map]]
group = "voip-support"
role = "admin"

[[auth.role_map]]
group = "noc"
role = "viewer"
`);
  return file;
}
