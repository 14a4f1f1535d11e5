import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';
import { ADMIN_PASSWORD } from './tests/pages/login';

// Timing benchmarks (not part of CI): `npx playwright test -c bench.config.ts`.
// Each script prints its figures on stdout. Same real server and WASM build as the e2e tests,
// with a fixed HEP port so a script can send extra traffic (e.g. a very long call) with `hepscope send-hep`.
const PORT = Number(process.env.BENCH_PORT ?? 18280);
export const BENCH_HEP_PORT = Number(process.env.BENCH_HEP_PORT ?? 19260);
const TARGET_DIR = process.env.CARGO_TARGET_DIR ?? path.resolve(__dirname, '..', 'target');
export const SERVER_BIN = process.env.SERVER_BIN ?? path.join(TARGET_DIR, 'debug', 'hepscope');
const DATA_DIR = path.join(os.tmpdir(), `hepscope-bench-${process.pid}`);

export default defineConfig({
  testDir: './bench',
  testMatch: '**/*.bench.ts',
  timeout: 600_000,
  expect: { timeout: 120_000 },
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `${SERVER_BIN} demo --listen 127.0.0.1:${PORT} --hep-listen 127.0.0.1:${BENCH_HEP_PORT} --stream-listen 127.0.0.1:0 --data-dir ${DATA_DIR} --dist ../dist`,
    env: { HEPSCOPE_ADMIN_PASSWORD: ADMIN_PASSWORD, RUST_LOG: 'warn' },
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
