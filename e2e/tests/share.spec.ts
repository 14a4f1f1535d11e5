import { test, expect, Page, Browser } from '@playwright/test';
import { readFileSync } from 'fs';
import { loginAsAdmin } from './pages/login';
import { demoRows } from './pages/homer';

/** An answered demo call: its Call-ID and the time of its first message (ms). */
async function answeredCall(page: Page) {
  const rows = await demoRows(page.request);
  const bySid = new Map<string, string[]>();
  for (const r of rows) bySid.set(r.sid, [...(bySid.get(r.sid) ?? []), r.method]);
  const sid = [...bySid.entries()].find(([, m]) => m.includes('INVITE') && m.includes('200'))?.[0];
  expect(sid, 'the demo has answered calls').toBeTruthy();
  const first = rows.filter((r) => r.sid === sid).map((r) => r.create_date).sort()[0];
  return { sid: sid!, t: first };
}

/** Opens `url` in a fresh browser context: no cookies, nobody logged in. */
async function openAsGuest(browser: Browser, url: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

test('share a call with someone outside', async ({ page, browser }) => {
  await loginAsAdmin(page);
  const { sid, t } = await answeredCall(page);
  await page.goto(`/call/${encodeURIComponent(sid)}?t=${t}`);
  await expect(page.getByRole('table', { name: 'SIP ladder' }).getByRole('row', { name: /INVITE/ }).first()).toBeVisible();

  // Create the link from the call's toolbar.
  await page.getByRole('button', { name: 'Share outside' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share outside' });
  await expect(dialog).toContainText('without logging in');
  const link = await dialog.getByLabel('Share link').inputValue();
  expect(link).toMatch(/\/s\/[\w-]+\.[\w-]+\.[\w-]+$/);

  // Someone without an account opens it: the ladder, a message and the PCAP, no login, no top bar.
  const guest = await openAsGuest(browser, link);
  const ladder = guest.page.getByRole('table', { name: 'SIP ladder' });
  await expect(ladder.getByRole('row', { name: /INVITE/ }).first()).toBeVisible();
  await expect(guest.page).toHaveURL(/\/s\//);
  await expect(guest.page.getByTestId('current-user')).toHaveCount(0);
  await expect(guest.page.getByRole('button', { name: 'Share outside' })).toHaveCount(0);
  await ladder.getByRole('row', { name: /INVITE/ }).first().click();
  await expect(guest.page.getByTestId('raw-message')).toContainText(`Call-ID: ${sid}`);
  const download = guest.page.waitForEvent('download');
  await guest.page.getByRole('button', { name: 'PCAP' }).click();
  const pcap = readFileSync((await (await download).path())!);
  expect(pcap.length).toBeGreaterThan(24);
  expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);

  // Revoked in Settings: the link is refused with a page that says so.
  await page.goto('/settings');
  const shares = page.getByRole('table', { name: 'Shared links' });
  const row = shares.getByRole('row').filter({ hasText: sid }).filter({ hasText: 'active' }).first();
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(shares.getByRole('row').filter({ hasText: sid }).first()).toContainText('revoked');
  await guest.page.reload();
  await expect(guest.page.getByRole('heading', { name: 'This link was revoked' })).toBeVisible();

  // A changed link is not valid.
  await guest.page.goto(link.replace(/\.([\w-]+)$/, '.x$1'));
  await expect(guest.page.getByRole('heading', { name: 'This link is not valid' })).toBeVisible();
  await guest.context.close();

  // A link with a 6 s lifetime opens, then is refused as expired.
  const created = await page.request.post('/api/shares', {
    data: { call_ids: [sid], from: t - 300_000, to: t + 3_600_000, ttl: '6s' },
  });
  expect(created.status()).toBe(200);
  // A context made by hand does not inherit the config's baseURL.
  const short = await openAsGuest(browser, new URL((await created.json()).url, page.url()).href);
  await expect(short.page.getByRole('table', { name: 'SIP ladder' }).getByRole('row', { name: /INVITE/ }).first()).toBeVisible();
  await expect(async () => {
    await short.page.reload();
    await expect(short.page.getByRole('heading', { name: 'This link has expired' })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await short.context.close();
});
