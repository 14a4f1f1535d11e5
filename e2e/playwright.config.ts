import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';

// The real server binary serves the real WASM build from ../dist on a port of its own.
const PORT = Number(process.env.E2E_PORT ?? 18080);
const TARGET_DIR = process.env.CARGO_TARGET_DIR ?? path.resolve(__dirname, '..', 'target');
const SERVER_BIN = process.env.SERVER_BIN ?? path.join(TARGET_DIR, 'debug', 'hepscope');
const DATA_DIR = path.join(os.tmpdir(), `hepscope-e2e-${process.pid}`);
import { ADMIN_PASSWORD } from './tests/pages/login';
import { OIDC_PORT, SSO_PORT, SSO_URL, ssoConfigFile } from './tests/pages/sso';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 1,
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/results.json' }]] : 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: [{
    // Port 0 for HEP and the stream node: several e2e servers may run on one machine.
    command: `${SERVER_BIN} demo --listen 127.0.0.1:${PORT} --hep-listen 127.0.0.1:0 --stream-listen 127.0.0.1:0 --data-dir ${DATA_DIR} --dist ../dist`,
    env: { HEPSCOPE_ADMIN_PASSWORD: ADMIN_PASSWORD, RUST_LOG: 'warn' },
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  }, {
    // sso.spec.ts: a real OpenID provider with its development login and consent pages...
    command: 'node oidc/provider.mjs',
    env: { OIDC_PORT: String(OIDC_PORT), OIDC_REDIRECT_URIS: `${SSO_URL}/api/auth/oidc/callback` },
    url: `http://127.0.0.1:${OIDC_PORT}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  }, {
    // ...and a hepscope signing in with it ([auth.oidc]).
    command: `${SERVER_BIN} demo --config ${ssoConfigFile()} --listen 127.0.0.1:${SSO_PORT} --hep-listen 127.0.0.1:0 --stream-listen 127.0.0.1:0 --data-dir ${DATA_DIR}-sso --dist ../dist`,
    env: { HEPSCOPE_ADMIN_PASSWORD: ADMIN_PASSWORD, RUST_LOG: 'warn' },
    url: `${SSO_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  }],
});
