import { test, expect, Page } from '@playwright/test';
import { loginAsAdmin } from './pages/login';
import * as fs from 'fs';
import { demoRows } from './pages/homer';

async function callIdsShown(page: Page): Promise<string[]> {
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.locator('tbody tr.vrow').first()).toBeVisible();
  return table.locator('tbody tr.vrow td:last-child').allInnerTexts();
}

test('find a call by number with and without +', async ({ page }) => {
  await loginAsAdmin(page);
  const rows = await demoRows(page.request);
  const invite = rows.find((r) => r.method === 'INVITE' && r.from_user.startsWith('+49'));
  expect(invite, 'the demo has callers with +49 numbers').toBeTruthy();
  const number = invite!.from_user;
  for (const typed of [number, number.slice(1)]) {
    await page.goto('/calls?since=1h');
    await page.getByLabel('Number').fill(typed);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(new RegExp(`number=${encodeURIComponent(typed).replace('+', '\\+')}`));
    const ids = await callIdsShown(page);
    expect(ids, `searching ${typed}`).toContain(invite!.sid);
  }
});

test('find calls by from-user wildcard', async ({ page }) => {
  await loginAsAdmin(page, '/calls?since=1h&from_user=%2B4922%25');
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.locator('tbody tr.vrow').first()).toBeVisible();
  const callers = await table.locator('tbody tr.vrow td:nth-child(3)').allInnerTexts();
  expect(callers.length).toBeGreaterThan(0);
  for (const caller of callers) expect(caller).toMatch(/^\+4922/);
});

test('find calls by expression', async ({ page }) => {
  await loginAsAdmin(page, '/calls?since=1h');
  await page.getByLabel('Query').fill("status = '486'");
  await page.getByRole('button', { name: 'Search' }).click();
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.locator('tbody tr.vrow').first()).toBeVisible();
  const statuses = await table.locator('tbody tr.vrow td:nth-child(5)').allInnerTexts();
  expect(statuses.length).toBeGreaterThan(0);
  for (const s of statuses) expect(s).toContain('busy');
});

test('an invalid expression shows the error at the offending token', async ({ page }) => {
  await loginAsAdmin(page, '/calls?since=1h');
  await page.getByLabel('Query').fill("from_user = '4922%' AND colour = 'red'");
  await page.getByRole('button', { name: 'Search' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText("unknown field 'colour'");
  await expect(page.getByTestId('query-error-token')).toHaveText('colour');
});

test('each demo outcome gets the right status', async ({ page }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  await page.goto('/calls?since=1h&limit=1000');
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.locator('tbody tr.vrow').first()).toBeVisible();
  // The table is virtualized: read the statuses from the CSV download instead of the DOM.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'CSV' }).click();
  const file = await (await download).path();
  const csv = require('fs').readFileSync(file, 'utf8') as string;
  for (const status of ['answered', 'busy', 'cancelled', 'no answer', 'failed', 'ringing']) {
    expect(csv, `a ${status} call`).toContain(status);
  }
});

test('the limit banner appears when the limit is reached', async ({ page }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  await page.goto('/calls?since=1h&limit=5');
  await expect(page.getByTestId('limit-banner')).toContainText('Limit reached');
  // At most 5 calls: the limit holds the newest messages, which may come from fewer calls (while the
  // demo's 2,000-message call runs, most of them are its).
  const rows = page.getByRole('table', { name: 'Calls' }).locator('tbody tr.vrow');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeLessThanOrEqual(5);
});

test('a link opened in a fresh browser shows the same rows', async ({ page, browser }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  const now = Date.now();
  const until = new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const url = `/calls?since=30m&until=${encodeURIComponent(until)}&tz=UTC`;
  await page.goto(url);
  const mine = await callIdsShown(page);
  const other = await browser.newContext();
  const colleague = await other.newPage();
  await loginAsAdmin(colleague, url);
  await expect(colleague).toHaveURL(new RegExp('/calls\\?since=30m'));
  expect(await callIdsShown(colleague)).toEqual(mine);
  await other.close();
});

test('the debug toggle shows the exact HOMER request each view sent', async ({ page }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  await page.goto('/calls?since=1h&number=%2B4922112345');
  await page.getByLabel('Show HOMER requests').check();
  const panel = page.getByRole('region', { name: 'HOMER requests' });
  await expect(panel).toContainText('POST /api/v3/search/call/data');
  // The number is expanded into From/To and with/without '+' alternatives: one request each.
  await expect(panel.locator('.debug-request')).toHaveCount(4);
  await expect(panel).toContainText('"name": "data_header.from_user"');
  await expect(panel).toContainText('+4922112345');
  // The toggle is remembered and applies to the call view too.
  await page.reload();
  await expect(page.getByLabel('Show HOMER requests')).toBeChecked();
});

test('calls show the direction of their first INVITE and sort by it', async ({ page }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  await page.goto('/calls?since=1h');
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.locator('tbody tr.vrow').first()).toBeVisible();
  // Descending, so calls come before dialogs without an INVITE (no direction).
  await table.getByRole('button', { name: 'Direction' }).click();
  await expect(page).toHaveURL(/order=direction/);
  await table.getByRole('button', { name: 'Direction' }).click();
  await expect(page).toHaveURL(/order=-direction/);
  await expect(table.getByRole('columnheader', { name: 'Direction' })).toHaveAttribute('aria-sort', 'descending');
  const cells = await table.locator('tbody tr.vrow td:nth-child(9)').allInnerTexts();
  const directions = cells.filter((c) => c !== '');
  expect(directions.length).toBeGreaterThan(0);
  // No aliases in the demo: addresses, the SIP port 5060 left out.
  for (const d of directions) expect(d).toMatch(/^\S+ → \S+$/);
  expect(directions.some((d) => d.includes(':5060'))).toBe(false);
  expect(cells).toEqual([...cells].sort().reverse());
});

test('a filter that matches only the INVITE still shows each call answered or busy, from its whole dialog', async ({ page }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  await page.goto('/calls?since=1h&limit=200');
  await page.getByLabel('Query').fill("method = 'INVITE'");
  await page.getByRole('button', { name: 'Search' }).click();
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.locator('tbody tr.vrow').first()).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'CSV' }).click();
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  // Only INVITEs matched: the replies and BYEs that make a call answered (with a duration) or busy
  // come from the calls' whole sessions, fetched after the search.
  const answered = csv.split('\n').filter((line) => line.includes('answered'));
  expect(answered.length, csv.slice(0, 400)).toBeGreaterThan(0);
  expect(csv).toContain('busy');
});
