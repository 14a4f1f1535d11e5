import { test, expect } from '@playwright/test';
import { loginAsAdmin } from './pages/login';

test('check that a backend answers, step by step, from a pasted link', async ({ page }) => {
  await loginAsAdmin(page, '/backends');
  const table = page.getByTestId('backends');
  await expect(table.getByRole('row', { name: /embedded/ })).toContainText('embedded store');

  await page.getByRole('button', { name: 'Check embedded' }).click();
  await expect(page).toHaveURL(/\/backends\?check=embedded$/);
  const report = page.getByTestId('check-report');
  await expect(report.getByRole('status')).toContainText('every step passed');
  const steps = report.getByRole('table', { name: 'Check steps' });
  await expect(steps.getByRole('row', { name: /store/ })).toContainText('messages stored since start');
  await expect(steps.getByRole('row', { name: /mapping/ })).toContainText('mapping profiles');

  // The URL is the view: a colleague opening it sees the same check.
  await page.reload();
  await expect(page.getByTestId('check-report').getByRole('status')).toContainText('every step passed');

  // A backend that does not exist is an error with a retry, not an empty page.
  await page.goto('/backends?check=nope');
  await expect(page.getByTestId('check-report').getByRole('alert')).toContainText('nope');
  await expect(page.getByTestId('check-report').getByRole('button', { name: 'Retry' })).toBeVisible();
});

test('look up which alias names a host, and share the lookup', async ({ page }) => {
  await loginAsAdmin(page, '/aliases');
  const table = page.getByTestId('aliases');
  // hepscope demo names its hosts (server/src/demo/aliases.rs).
  await expect(table.getByRole('row', { name: /phones/ })).toContainText('10.0.1.0/24');
  await expect(table.getByRole('row', { name: /^pbx/ })).toContainText('10.0.0.20');

  await page.getByLabel('Filter').fill('sbc');
  await page.getByLabel('Which alias names').fill('10.0.1.77:5060');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=sbc/);
  await expect(page.getByTestId('alias-lookup')).toContainText('“phones”');
  await expect(table.getByRole('row')).toHaveCount(3); // the header, sbc and sbc-private

  // The link carries the filter and the lookup.
  await page.reload();
  await expect(page.getByTestId('alias-lookup')).toContainText('“phones”');
  await expect(page.getByTestId('aliases').getByRole('row')).toHaveCount(3);

  // An address no alias covers, and text that is not an address, say so.
  await page.getByLabel('Which alias names').fill('192.0.2.9');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('alias-lookup')).toContainText('No active alias covers 192.0.2.9');
  await page.getByLabel('Which alias names').fill('pbx.example');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('alias-lookup')).toContainText('is not an address');
});
