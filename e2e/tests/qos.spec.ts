import { test, expect, APIRequestContext, Page } from '@playwright/test';
import { loginAsAdmin } from './pages/login';

type Row = { sid?: string; srcIp?: string; srcPort?: number | string; raw?: string; method?: string };

/** Call-IDs of the demo's calls of the last hour that reached a BYE (answered calls). */
async function answeredCallIds(request: APIRequestContext): Promise<string[]> {
  const now = Date.now();
  const answer = await request.post('/api/v3/search/call/data', {
    data: {
      timestamp: { from: now - 3600_000, to: now + 60_000 },
      param: { search: { '1_call': [{ name: 'limit', value: '2000', type: 'string' }] } },
    },
  });
  expect(answer.ok()).toBeTruthy();
  const rows: Row[] = (await answer.json()).data ?? [];
  return [...new Set(rows.filter((r) => r.method === 'BYE').map((r) => r.sid ?? ''))].filter(Boolean);
}

/** The RTCP rows of one call, from the embedded API. */
async function rtcpRows(request: APIRequestContext, callId: string): Promise<Row[]> {
  const now = Date.now();
  const answer = await request.post('/api/v3/call/report/qos', {
    data: {
      timestamp: { from: now - 3600_000, to: now + 60_000 },
      param: { search: { '1_call': { callid: [callId] } }, location: {}, transaction: { call: true } },
    },
  });
  expect(answer.ok()).toBeTruthy();
  return (await answer.json()).rtcp?.data ?? [];
}

/** True when one reporter of the call only ever sent receiver reports (type 201). */
function hasRrOnlyReporter(rows: Row[]): boolean {
  const types = new Map<string, Set<number>>();
  for (const row of rows) {
    const key = `${row.srcIp}:${row.srcPort}`;
    let kind = 0;
    try { kind = Number(JSON.parse(row.raw ?? '{}').type); } catch { kind = 0; }
    if (!types.has(key)) types.set(key, new Set());
    types.get(key)!.add(kind);
  }
  return [...types.values()].some((kinds) => kinds.size === 1 && kinds.has(201));
}

async function numbers(page: Page, testId: string): Promise<number[]> {
  const texts = await page.getByTestId(testId).allTextContents();
  return texts.map((t) => Number(t.trim()));
}

test('check a call\'s RTCP quality', async ({ page }) => {
  await loginAsAdmin(page);
  const request = page.request;

  // Find a demo call with RTCP from both sides, and the RR-only one.
  let withRtcp: string | undefined;
  let rrOnly: string | undefined;
  await expect.poll(async () => {
    for (const id of await answeredCallIds(request)) {
      const rows = await rtcpRows(request, id);
      if (rows.length < 4) continue;
      if (hasRrOnlyReporter(rows)) rrOnly ??= id; else withRtcp ??= id;
      if (withRtcp && rrOnly) break;
    }
    return Boolean(withRtcp && rrOnly);
  }, { timeout: 20_000 }).toBe(true);

  // A call with SRs on both sides: both directions, MOS in range, a drawn chart.
  await page.goto(`/qos/${encodeURIComponent(withRtcp!)}?t=${Date.now() - 1800_000}`);
  const rows = page.getByTestId('qos-stream');
  await expect(rows).toHaveCount(2);
  const directions = await rows.locator('td:first-child').allTextContents();
  const [a, b] = directions.map((d) => d.split(' → '));
  expect(a[0]).toBe(b[1]);
  expect(a[1]).toBe(b[0]);
  for (const mos of [...await numbers(page, 'qos-mos-emodel'), ...await numbers(page, 'qos-mos-simple')]) {
    expect(mos).toBeGreaterThanOrEqual(1);
    expect(mos).toBeLessThanOrEqual(4.5);
  }
  await expect(page.getByTestId('qos-mos-emodel').first()).toHaveAttribute('title', /Ie,eff/);
  const canvas = page.getByTestId('qos-chart-Jitter');
  await expect(canvas).toBeVisible();
  await expect.poll(() => canvas.evaluate((el: HTMLCanvasElement) => {
    const ctx = el.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, el.width, el.height);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, bl] = [data[i], data[i + 1], data[i + 2]];
      if (Math.max(r, g, bl) - Math.min(r, g, bl) > 60) coloured++;
    }
    return coloured;
  })).toBeGreaterThan(50);

  // Changing the clock rate changes jitter and MOS.
  const jitterBefore = await page.getByTestId('qos-jitter-avg').allTextContents();
  const mosBefore = await page.getByTestId('qos-mos-simple').allTextContents();
  await page.getByLabel('Clock rate').fill('1000');
  await page.getByLabel('Clock rate').press('Enter');
  await expect(page).toHaveURL(/qos_clock=1000/);
  await expect.poll(() => page.getByTestId('qos-jitter-avg').allTextContents()).not.toEqual(jitterBefore);
  await expect.poll(() => page.getByTestId('qos-mos-simple').allTextContents()).not.toEqual(mosBefore);

  // The RR-only call: both directions, one of them marked RR only.
  await page.goto(`/qos/${encodeURIComponent(rrOnly!)}?t=${Date.now() - 1800_000}`);
  await expect(page.getByTestId('qos-stream')).toHaveCount(2);
  await expect(page.locator('[data-testid="qos-stream"][data-rr-only="true"]')).toHaveCount(1);
  await expect(page.getByText('RR only')).toBeVisible();

  // A call without RTCP says so.
  await page.goto('/qos/no-such-call@nowhere');
  await expect(page.getByText('This call has no RTCP.')).toBeVisible();
});
