import { test, expect, APIRequestContext, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import { BENCH_HEP_PORT, SERVER_BIN } from '../bench.config';
import { loginAsAdmin } from '../tests/pages/login';

// The call view's ladder:
//  (a) open -> first rows visible for the demo's 2,000-message call (median of several full page loads);
//  (b) frame times while scrolling a 50,000-message call, sent with `hepscope send-hep --long-call-messages`.
// Frame time is the interval between animation frames with Chromium's frame-rate limit off, so it is the
// time a frame takes (script, style, layout, paint) rather than the 60 Hz vsync interval.

const OPENS = 5;
const SCROLL_FRAMES = 600;
const SCROLL_STEP_PX = 400;
const LONG_CALL_MESSAGES = 50_000;

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-frame-rate-limit', '--disable-gpu-vsync'],
  },
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

type Row = { sid: string; method: string; create_date: number };

async function search(request: APIRequestContext, filters: object[], minutes = 30): Promise<Row[]> {
  const now = Date.now();
  const answer = await request.post('/api/v3/search/call/data', {
    data: {
      timestamp: { from: now - minutes * 60_000, to: now + 60_000 },
      param: { transaction: {}, search: { '1_call': [{ name: 'limit', value: '100000', type: 'string' }, ...filters] }, location: {} },
    },
  });
  expect(answer.ok()).toBeTruthy();
  return (await answer.json()).data ?? [];
}

/** ms from navigation start to the first ladder row in the DOM. */
async function openTime(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => document.querySelector('.ladder [data-message]') !== null, null, { polling: 'raf', timeout: 120_000 });
  return page.evaluate(() => performance.now());
}

test('call ladder: open time and scrolling frame times', async ({ page }) => {
  await loginAsAdmin(page);

  // (a) The demo's long call (2,000 SIP messages, in the start-up backfill): the Call-ID with most INFOs.
  let demoCall: { sid: string; t: number; count: number } | undefined;
  await expect.poll(async () => {
    const rows = await search(page.request, [{ name: 'data_header.method', value: 'INFO', type: 'string' }]);
    const bySid = new Map<string, Row[]>();
    for (const r of rows) bySid.set(r.sid, [...(bySid.get(r.sid) ?? []), r]);
    const [sid, infos] = [...bySid.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    if (sid && infos.length > 500) demoCall = { sid, t: Math.min(...infos.map((r) => r.create_date)), count: infos.length };
    return Boolean(demoCall);
  }, { timeout: 60_000 }).toBe(true);
  const demoUrl = `/call/${encodeURIComponent(demoCall!.sid)}?t=${demoCall!.t}`;
  await openTime(page, demoUrl); // warm the cache (WASM, CSS)
  const opens: number[] = [];
  for (let i = 0; i < OPENS; i++) opens.push(await openTime(page, demoUrl));
  const rowCount = await page.getByRole('table', { name: 'SIP ladder' }).getAttribute('aria-rowcount');
  console.log(`open -> first rows visible, demo long call (${Number(rowCount) - 1} rows shown): median ${percentile(opens, 50).toFixed(0)} ms over ${OPENS} opens (${opens.map((o) => o.toFixed(0)).join(', ')})`);

  // (b) A 50,000-message call, sent over HEP/TCP to the bench server's receiver.
  const out = execFileSync(SERVER_BIN, ['send-hep', '--to', `127.0.0.1:${BENCH_HEP_PORT}`, '--transport', 'tcp',
    '--long-call-messages', String(LONG_CALL_MESSAGES), '--seed', '4242'], { encoding: 'utf8' });
  const sent = /long call (\S+) with (\d+) SIP messages from (\d+)/.exec(out);
  expect(sent, out).toBeTruthy();
  const [, callId, messages, startMs] = sent!;
  await expect.poll(async () => (await search(page.request, [
    { name: 'sid', value: callId, type: 'string' },
    { name: 'data_header.method', value: 'BYE', type: 'string' },
  ], 10)).length, { timeout: 120_000 }).toBeGreaterThan(0);

  const loadStart = Date.now();
  await page.goto(`/call/${encodeURIComponent(callId)}?t=${startMs}`);
  const ladder = page.getByRole('table', { name: 'SIP ladder' });
  await expect(ladder.locator('[data-message]').first()).toBeVisible({ timeout: 300_000 });
  const loadMs = Date.now() - loadStart;
  const shown = Number(await ladder.getAttribute('aria-rowcount')) - 1;
  expect(shown).toBeGreaterThan(LONG_CALL_MESSAGES * 0.9);

  const deltas: number[] = await ladder.evaluate((el, { frames, step }) => new Promise<number[]>((resolve) => {
    const out: number[] = [];
    let last = 0;
    const tick = (now: number) => {
      if (last > 0) out.push(now - last);
      last = now;
      el.scrollTop += step;
      if (out.length < frames && el.scrollTop + el.clientHeight < el.scrollHeight) requestAnimationFrame(tick);
      else resolve(out);
    };
    requestAnimationFrame(tick);
  }), { frames: SCROLL_FRAMES, step: SCROLL_STEP_PX });
  // The rows under the viewport are the ones at the scroll position (the virtual list kept up).
  const top = await ladder.evaluate((el) => el.scrollTop);
  const firstShown = await ladder.locator('[data-message]').first().evaluate((r) => (r as HTMLElement).offsetTop);
  expect(Math.abs(firstShown - top)).toBeLessThan(30 * 15);
  console.log(`50,000-message call: ${messages} SIP messages sent, ${shown} rows shown, opened in ${loadMs} ms`);
  console.log(`scrolling ${deltas.length} frames at ${SCROLL_STEP_PX} px/frame: frame time p50 ${percentile(deltas, 50).toFixed(1)} ms, p95 ${percentile(deltas, 95).toFixed(1)} ms, max ${Math.max(...deltas).toFixed(1)} ms (target p95 <= 16 ms)`);
});
