import { test, expect, request as playwrightRequest } from '@playwright/test';
import { ADMIN_PASSWORD, collectErrors } from './pages/login';
import { demoRows } from './pages/homer';
import { SSO_NAME, SSO_URL } from './pages/sso';

/** A Call-ID the SSO server's demo has stored (asked with the built-in admin, through the API). */
async function someCallId(): Promise<string> {
  const api = await playwrightRequest.newContext({ baseURL: SSO_URL });
  const login = await api.post('/api/login', { data: { username: 'admin', password: ADMIN_PASSWORD } });
  expect(login.status()).toBe(200);
  const rows = await demoRows(api);
  const invite = rows.find((r) => r.method === 'INVITE');
  expect(invite).toBeDefined();
  await api.dispose();
  return invite!.sid;
}

test('sign in with the company account and land on the deep-linked call', async ({ page }) => {
  const sid = await someCallId();
  // Call-IDs are user@host: the app keeps the @ as it is in its own links.
  const deepLink = `/call/${sid}?since=1h&tab=ladder`;

  // Logged out, the deep link goes to the login page, which offers the company sign-in.
  await page.goto(SSO_URL + deepLink);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByRole('link', { name: `Sign in with ${SSO_NAME}` }).click();

  // The provider's own login and consent pages (oidc-provider's development interactions).
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill('ada');
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();

  // Back on hepscope, on the call, as ada with the role her group maps to (voip-support → admin).
  await expect(page).toHaveURL(SSO_URL + deepLink);
  await expect(page.getByTestId('current-user')).toHaveText('ada (admin)');
  await expect(page.locator('main')).toContainText('INVITE');

  // The session holds: a reload shows the call again, without a console error.
  const errors = collectErrors(page);
  await page.reload();
  await expect(page.getByTestId('current-user')).toHaveText('ada (admin)');
  await expect(page.locator('main')).toContainText('INVITE');
  expect(errors).toEqual([]);
});

test('a cancelled company sign-in says why on the login page', async ({ page }) => {
  await page.goto(`${SSO_URL}/login?next=%2Fsearch`);
  await page.getByRole('link', { name: `Sign in with ${SSO_NAME}` }).click();
  await page.getByRole('link', { name: '[ Cancel ]' }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fsearch&sso_error=/);
  await expect(page.getByRole('alert')).toContainText('access_denied');
  await expect(page.getByTestId('current-user')).toHaveCount(0);
});
