import { expect, Page } from '@playwright/test';

export const ADMIN_PASSWORD = 'e2e-admin-password';

/** Fills and submits the login form on the current page. */
export async function submitLogin(page: Page, username: string, password: string) {
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Opens `path` (default /search) logged in as admin. */
export async function loginAsAdmin(page: Page, path = '/search') {
  await page.goto(`/login?next=${encodeURIComponent(path)}`);
  await submitLogin(page, 'admin', ADMIN_PASSWORD);
  await expect(page.getByTestId('current-user')).toContainText('admin');
}

/** Collects console errors and page errors so a test can assert there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}
