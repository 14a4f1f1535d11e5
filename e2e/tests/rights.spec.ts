import { test, expect, Page } from '@playwright/test';
import { loginAsAdmin } from './pages/login';
import { demoRows } from './pages/homer';

// The e2e server has one user, the built-in admin. The rights a page shows follow GET /api/me, so
// these tests narrow the rights the server answered there; the server-side refusal is checked with a
// real API token holding the same narrower rights.

async function withRights(page: Page, rights: string[]) {
  await page.route('**/api/me', async (route) => {
    const response = await route.fetch();
    const me = await response.json();
    me.rights = rights;
    me.role = 'viewer';
    await route.fulfill({ response, json: me });
  });
}

async function openSomeCall(page: Page) {
  const rows = await demoRows(page.request);
  const row = rows.find((r) => r.method === 'INVITE') ?? rows[0];
  await page.goto(`/call/${encodeURIComponent(row.sid)}?t=${row.create_date}`);
  await expect(page.getByRole('table', { name: 'SIP ladder' }).getByRole('row').nth(1)).toBeVisible();
}

test('a viewer without export sees no export button and the server refuses the export', async ({ page, playwright, baseURL }) => {
  await loginAsAdmin(page);
  const created = await page.request.post('/api/auth/tokens', {
    data: { name: 'e2e', rights: ['search', 'raw'], expires_in: '1h' },
  });
  expect(created.status()).toBe(201);
  const { token } = await created.json();
  // A tool: the token alone, no session cookie.
  const tool = await playwright.request.newContext({ baseURL });
  const refused = await tool.post('/api/v3/export/call/messages/pcap', {
    headers: { authorization: `Bearer ${token}` },
    data: {},
  });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).detail).toBe('missing right: export');
  await tool.dispose();

  await withRights(page, ['search', 'raw']);
  await openSomeCall(page);
  const toolbar = page.getByRole('toolbar', { name: 'Ladder options' });
  await expect(toolbar.getByRole('button', { name: 'SVG' })).toBeVisible();
  await expect(toolbar.getByRole('button', { name: 'PCAP' })).toHaveCount(0);
  await expect(toolbar.getByRole('button', { name: 'Text' })).toHaveCount(0);
  await expect(page.getByText('bodies withheld: you lack the raw right')).toHaveCount(0);
});

test('a viewer without raw sees the ladder with the bodies withheld', async ({ page }) => {
  await loginAsAdmin(page);
  await withRights(page, ['search', 'export']);
  await openSomeCall(page);
  await expect(page.getByText('bodies withheld: you lack the raw right')).toBeVisible();
  const toolbar = page.getByRole('toolbar', { name: 'Ladder options' });
  await expect(toolbar.getByRole('button', { name: 'PCAP' })).toBeVisible();
});

test('create an API token in Settings, copy it once and revoke it', async ({ page, playwright, baseURL }) => {
  await loginAsAdmin(page, '/settings');
  const section = page.getByRole('region', { name: 'API tokens' });
  await section.getByLabel('Name').fill('ci');
  await section.getByRole('button', { name: 'Create token' }).click();
  const shown = section.getByTestId('new-token');
  await expect(shown).toContainText('hst_');
  const token = (await shown.innerText()).trim();
  const tool = await playwright.request.newContext({ baseURL });
  const me = await tool.get('/api/me', { headers: { authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).rights).toEqual(['search']);
  const row = section.getByRole('table', { name: 'API tokens' }).getByRole('row', { name: /ci/ });
  await expect(row).toContainText('search');
  await page.reload();
  await expect(page.getByRole('region', { name: 'API tokens' }).getByTestId('new-token')).toHaveCount(0);
  await page.getByRole('region', { name: 'API tokens' }).getByRole('row', { name: /ci/ })
    .getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('region', { name: 'API tokens' }).getByRole('row', { name: /ci/ })).toHaveCount(0);
  expect((await tool.get('/api/me', { headers: { authorization: `Bearer ${token}` } })).status()).toBe(401);
  await tool.dispose();
});

test('an admin reads the audit log in Settings and downloads it as CSV', async ({ page }) => {
  await loginAsAdmin(page, '/settings');
  const audit = page.getByRole('region', { name: 'Audit log' });
  await expect(audit.getByRole('table', { name: 'Audit log' }).getByRole('row', { name: /sign_in/ }).first()).toBeVisible();
  const csv = await page.request.get('/api/audit.csv?action=sign_in');
  expect(csv.status()).toBe(200);
  expect((await csv.text()).split('\n')[0]).toBe('time,user,client,action,object,outcome');
});

test('a viewer without share sees no share button and one without live no Live view', async ({ page }) => {
  await loginAsAdmin(page);
  await withRights(page, ['search', 'raw', 'export']);
  await openSomeCall(page);
  await expect(page.getByRole('button', { name: 'PCAP' })).toBeVisible();
  await expect(page.getByRole('button', { name: /Share outside/ })).toHaveCount(0);
  const nav = page.getByRole('navigation', { name: 'Views' });
  await expect(nav.getByRole('link', { name: 'Calls' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Live' })).toHaveCount(0);
});

test('a viewer with share and live sees both', async ({ page }) => {
  await loginAsAdmin(page);
  await withRights(page, ['search', 'share', 'live']);
  await openSomeCall(page);
  await expect(page.getByRole('button', { name: /Share outside/ })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Live' })).toBeVisible();
});
