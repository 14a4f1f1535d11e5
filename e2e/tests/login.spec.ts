import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, collectErrors, loginAsAdmin, submitLogin } from './pages/login';

test('log in and log out', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await submitLogin(page, 'admin', ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/search$/);
  await expect(page.getByTestId('current-user')).toHaveText('admin (admin)');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  // The session is really gone: a protected view sends us back to the login page.
  await page.goto('/calls');
  await expect(page).toHaveURL(/\/login\?next=%2Fcalls/);
});

test('a wrong password shows a message', async ({ page }) => {
  await page.goto('/login');
  await submitLogin(page, 'admin', 'not-the-password');
  await expect(page.getByRole('alert')).toContainText('wrong user name or password');
  await expect(page).toHaveURL(/\/login/);
});

test('a deep link opened while logged out returns to that view after login', async ({ page }) => {
  await page.goto('/call/abc123@host?since=1h&tab=ladder');
  await expect(page).toHaveURL(/\/login\?next=/);
  await submitLogin(page, 'admin', ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/call\/abc123@host\?since=1h&tab=ladder$/);
});

test('no console errors on any page', async ({ page }) => {
  const errors = collectErrors(page);
  await loginAsAdmin(page);
  for (const path of ['/search', '/calls', '/call/x', '/qos/x', '/analyze', '/live', '/settings']) {
    await page.goto(path);
    await expect(page.getByTestId('current-user')).toContainText('admin');
    await expect(page.locator('main h1')).toBeVisible();
  }
  expect(errors).toEqual([]);
});

test('the app runs under its security headers and Content-Security-Policy', async ({ page, request }) => {
  const errors = collectErrors(page);
  const response = await page.goto('/login');
  const headers = response!.headers();
  const csp = headers['content-security-policy'];
  expect(csp).toContain("frame-ancestors 'none'");
  // Trunk's inline bootstrap and the theme script run by hash, never by 'unsafe-inline'.
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[^']+' 'sha256-/);
  expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  const api = await request.get('/api/me');
  expect(api.headers()['content-security-policy']).toContain("default-src 'self'");
  expect(api.headers()['referrer-policy']).toBe('no-referrer');
  await submitLogin(page, 'admin', ADMIN_PASSWORD);
  await expect(page.getByTestId('current-user')).toHaveText('admin (admin)');
  expect(errors).toEqual([]);
});

test('the theme toggle persists across reloads', async ({ page }) => {
  await loginAsAdmin(page, '/settings');
  const html = page.locator('html');
  const before = await html.getAttribute('data-theme');
  await page.locator('header').getByRole('button', { name: /theme/ }).click();
  const after = before === 'dark' ? 'light' : 'dark';
  await expect(html).toHaveAttribute('data-theme', after);
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', after);
});
