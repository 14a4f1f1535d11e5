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
  await expect(report.getByRole('table', { name: 'Check steps' }).getByRole('row')).not.toHaveCount(1);

  // The URL is the view: a colleague opening it sees the same check.
  await page.reload();
  await expect(page.getByTestId('check-report').getByRole('status')).toContainText('every step passed');

  // A backend that does not exist is an error with a retry, not an empty page.
  await page.goto('/backends?check=nope');
  await expect(page.getByTestId('check-report').getByRole('alert')).toContainText('nope');
  await expect(page.getByTestId('check-report').getByRole('button', { name: 'Retry' })).toBeVisible();
});
