import { test, expect, APIRequestContext, Page } from '@playwright/test';
import * as fs from 'fs';
import { loginAsAdmin } from './pages/login';

// The demo's three-leg call: carrier -> SBC (5060), SBC (5080) -> PBX, PBX -> agent phone, the legs sharing
// X-Acme-Call-ID. The demo serves aliases for its hosts: carrier, sbc, pbx, phones.
const SBC = '203.0.113.5';
const PBX = '10.0.0.20';

// Tall enough for every row of the call to be rendered by the virtual list.
test.use({ viewport: { width: 1400, height: 1400 } });

type Row = { sid: string; method: string; srcIp: string; srcPort: number; create_date: number; raw?: string };

function timeRange(minutes = 30) {
  const now = Date.now();
  return { from: now - minutes * 60_000, to: now + 60_000 };
}

async function searchRows(request: APIRequestContext, filters: object[]): Promise<Row[]> {
  const answer = await request.post('/api/v3/search/call/data', {
    data: { timestamp: timeRange(), param: { transaction: {}, search: { '1_call': [{ name: 'limit', value: '5000', type: 'string' }, ...filters] }, location: {} } },
  });
  expect(answer.ok()).toBeTruthy();
  return (await answer.json()).data ?? [];
}

/** The Call-IDs of one finished three-leg call (in leg order) and its start time. */
async function threeLegCall(request: APIRequestContext): Promise<{ ids: string[]; t: number }> {
  let leg2: Row | undefined;
  await expect.poll(async () => {
    const rows = await searchRows(request, []);
    const ended = new Set(rows.filter((r) => r.method === 'BYE').map((r) => r.sid));
    leg2 = rows.find((r) => r.method === 'INVITE' && r.srcIp === SBC && Number(r.srcPort) === 5080 && ended.has(r.sid));
    return Boolean(leg2);
  }, { timeout: 30_000 }).toBe(true);
  const answer = await request.post('/api/v3/call/transaction', {
    data: { timestamp: timeRange(), param: { search: { '1_call': { callid: [leg2!.sid] } }, location: {}, transaction: { call: true } } },
  });
  expect(answer.ok()).toBeTruthy();
  const messages: Row[] = (await answer.json()).data?.messages ?? [];
  const invite = messages.find((m) => m.sid === leg2!.sid && m.method === 'INVITE' && m.raw);
  const acme = /X-Acme-Call-ID: *(\S+)/i.exec(invite?.raw ?? '')?.[1];
  expect(acme, 'the SBC-PBX leg carries X-Acme-Call-ID').toBeTruthy();
  const legs = (await searchRows(request, [{ name: 'raw', value: `%${acme}%`, type: 'string' }]))
    .filter((r) => r.method === 'INVITE')
    .sort((a, b) => a.create_date - b.create_date);
  const ids = [...new Set(legs.map((r) => r.sid))];
  expect(ids).toHaveLength(3);
  return { ids, t: legs[0].create_date };
}

async function openCall(page: Page, extra = '') {
  await loginAsAdmin(page);
  const { ids, t } = await threeLegCall(page.request);
  await page.goto(`/call/${ids.map(encodeURIComponent).join(',')}?t=${t}&rtcp=0&logs=0${extra}`);
  const ladder = page.getByRole('table', { name: 'SIP ladder' });
  await expect(ladder.locator('[data-message]').first()).toBeVisible();
  return { ids, t, ladder };
}

test('follow a three-leg call through the SBC, PBX and agent', async ({ page }) => {
  const { ladder } = await openCall(page, '&lanes=port');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('3 calls');

  // One column per host and port: carrier, SBC outside, SBC inside, PBX, phone.
  const heads = ladder.locator('.lane-head');
  await expect(heads).toHaveCount(5);
  const addresses = await heads.locator('.lane-sub').allTextContents();
  expect(addresses[0]).toMatch(/^198\.51\.100\.\d+:5060$/);
  expect(addresses.slice(1, 4)).toEqual([`${SBC}:5060`, `${SBC}:5080`, `${PBX}:5060`]);
  expect(addresses[4]).toMatch(/^10\.0\.1\.\d+:5060$/);

  // Arrows in order: the three INVITEs hop by hop first, the answers, then BYE and its 200 on every leg.
  const names = await ladder.locator('[data-message]').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  expect(names.length).toBeGreaterThanOrEqual(21);
  await expect(ladder).toHaveAttribute('aria-rowcount', String(names.length + 1));
  expect(names[0]).toMatch(/ INVITE from 198\.51\.100\.\d+:5060 to 203\.0\.113\.5:5060/);
  const invites = names.filter((n) => / INVITE from /.test(n));
  expect(invites).toHaveLength(3);
  expect(invites[1]).toMatch(/ from 203\.0\.113\.5:5080 to 10\.0\.0\.20:5060/);
  expect(invites[2]).toMatch(/ from 10\.0\.0\.20:5060 to 10\.0\.1\.\d+:5060/);
  const answered = names.findIndex((n) => / 200 OK from 203\.0\.113\.5:5060 to 198\.51\.100\.\d+:5060/.test(n));
  const firstBye = names.findIndex((n) => / BYE from /.test(n));
  expect(answered).toBeGreaterThan(0);
  expect(firstBye).toBeGreaterThan(answered);
  expect(names.filter((n) => / BYE from /.test(n))).toHaveLength(3);
  expect(names[names.length - 1]).toMatch(/ 200 OK from /);

  // Alias columns: the demo's names replace the addresses, the SBC's two sides become one column.
  await page.getByLabel('Columns').selectOption('alias');
  await expect(page).toHaveURL(/lanes=alias/);
  await expect(heads).toHaveCount(4);
  await expect(heads.locator('.lane-label')).toHaveText(['carrier', 'sbc', 'pbx', 'phones']);
  expect((await heads.locator('.lane-label').allTextContents()).join(' ')).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
});

test('search the ladder with / and list the shortcuts with ?', async ({ page }) => {
  const { ladder } = await openCall(page);
  await page.keyboard.press('/');
  const search = page.getByRole('searchbox', { name: 'Search the ladder' });
  await expect(search).toBeFocused();
  await search.fill('180 ringing');
  const count = page.locator('.match-count');
  await expect(count).toHaveText('3 matches');
  await search.press('Enter');
  await expect(count).toHaveText('1 of 3');
  await expect(page).toHaveURL(/msg=\d+/);
  await expect(page.getByTestId('raw-message')).toContainText('SIP/2.0 180 Ringing');
  await expect(ladder.locator('[data-message][aria-selected="true"]')).toHaveAttribute('aria-label', / 180 Ringing from /);
  await search.press('Enter');
  await expect(count).toHaveText('2 of 3');
  await search.press('Shift+Enter');
  await expect(count).toHaveText('1 of 3');
  await search.press('Escape');
  await expect(search).toBeHidden();

  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  for (const key of ['j', '/', 'n or Enter', 'N or Shift+Enter', 'Esc', '?']) {
    await expect(dialog.locator('kbd', { hasText: key }).first()).toBeVisible();
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('download the whole ladder as a PNG', async ({ page }) => {
  await openCall(page, '&lanes=port');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'PNG' }).click();
  const file = await (await download).path();
  const bytes = fs.readFileSync(file!);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.length).toBeGreaterThan(10_000);
  // IHDR: the time column and five 200 px host columns, and taller than the header plus 21 rows.
  expect(bytes.readUInt32BE(16)).toBe(150 + 5 * 200);
  expect(bytes.readUInt32BE(20)).toBeGreaterThan(52 + 21 * 34);
});

test('read the call quality in the Quality tab', async ({ page }) => {
  const { ids } = await openCall(page);
  await page.getByRole('tab', { name: 'Quality' }).click();
  await expect(page).toHaveURL(/tab=qos/);
  await expect(page.getByRole('tab', { name: 'Quality' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('qos-stream').first()).toBeVisible();
  expect(await page.getByTestId('qos-stream').count()).toBeGreaterThanOrEqual(2);
  // The tab is in the link: a reload opens it again, and the ladder tab comes back.
  await page.reload();
  await expect(page.getByTestId('qos-stream').first()).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${ids.length} calls`);
  await page.getByRole('tab', { name: 'Ladder' }).click();
  await expect(page.getByRole('table', { name: 'SIP ladder' })).toBeVisible();
  await expect(page).not.toHaveURL(/tab=qos/);
});
