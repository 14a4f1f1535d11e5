import { test, expect } from '@playwright/test';
import { collectErrors, loginAsAdmin } from './pages/login';

test('watch live SIP traffic', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectErrors(page);
  await loginAsAdmin(page, '/live');
  await expect(page.locator('main h1')).toHaveText('Live');
  await expect(page.locator('.live-link')).toHaveText('Connected', { timeout: 15_000 });
  const rows = page.getByTestId('live-row');
  await expect(rows.first()).toBeVisible({ timeout: 15_000 });

  // Only INVITE transactions once the method filter is on (responses name their CSeq method).
  // A method filter applies to SIP only (RTCP and logs pass it, as in homer-core), so pick SIP first.
  await page.getByLabel('Protocol').selectOption('1');
  await page.getByRole('checkbox', { name: 'INVITE', exact: true }).check();
  await expect(page).toHaveURL(/method=INVITE/);
  await expect
    .poll(async () => {
      const cells = await page.locator('[data-testid=live-row] td.live-method').allTextContents();
      return cells.length > 0 && cells.every((text) => text.includes('INVITE'));
    }, { timeout: 20_000 })
    .toBe(true);

  // Paused: events keep arriving but wait aside; the table stays still.
  await page.getByRole('button', { name: 'Pause' }).click();
  const frozen = await page.locator('[data-testid=live-row]').allTextContents();
  await expect(page.getByText(/Paused — [1-9]\d* new events waiting/)).toBeVisible({ timeout: 20_000 });
  expect(await page.locator('[data-testid=live-row]').allTextContents()).toEqual(frozen);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByText(/Paused —/)).toHaveCount(0);

  // A reload keeps the filters.
  await page.reload();
  await expect(page).toHaveURL(/\/live\?.*method=INVITE/);
  await expect(page.getByRole('checkbox', { name: 'INVITE', exact: true })).toBeChecked();
  await expect(rows.first()).toBeVisible({ timeout: 15_000 });

  // A Call-ID opens its call view around the event's time.
  await page.getByRole('button', { name: 'Pause' }).click();
  const link = rows.first().getByRole('link');
  const callId = (await link.textContent()) ?? '';
  expect(callId).not.toEqual('');
  await link.click();
  await expect(page).toHaveURL(/\/call\/[^?]+\?t=\d+$/);
  await expect(page.locator('main h1')).toHaveText(`Call ${callId}`);
  expect(errors).toEqual([]);
});
