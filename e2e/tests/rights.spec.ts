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
