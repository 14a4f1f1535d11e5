import { test, expect, Page } from '@playwright/test';
import { loginAsAdmin } from './pages/login';

/** The demo PBX (app/src/domain/fixture/scenario.rs): the agent leg's INVITE comes from it. */
const PBX_IP = '10.0.0.20';

type Row = { sid?: string; callid?: string; method?: string; srcIp?: string; to_user?: string };

/** Finds the agent leg (PBX -> extension) of the demo's three-leg call through the HOMER API. */
async function findAgentLeg(page: Page): Promise<string> {
  let found = '';
  await expect
    .poll(
      async () => {
        const now = Date.now();
        const response = await page.request.post('/api/v3/search/call/data', {
          data: {
            timestamp: { from: now - 3600_000, to: now + 60_000 },
            param: {
              search: {
                '1_call': [
                  { name: 'data_header.method', value: 'INVITE', type: 'string', hepid: 1 },
                  { name: 'limit', value: '2000', type: 'string', hepid: 1 },
                ],
              },
              location: { node: ['localnode'] },
              orlogic: false,
              limit: 2000,
              transaction: {},
            },
          },
        });
        if (!response.ok()) return '';
        const body = (await response.json()) as { data?: Row[] };
        const leg = (body.data ?? []).find(
          (r) => r.method === 'INVITE' && r.srcIp === PBX_IP && /^2\d\d$/.test(r.to_user ?? ''),
        );
        found = leg?.sid || leg?.callid || '';
        return found;
      },
      { timeout: 20_000, message: 'the demo three-leg call appears' },
    )
    .not.toBe('');
  return found;
}

test('trace a call across B2BUA legs', async ({ page }) => {
  await loginAsAdmin(page);
  const agentLeg = await findAgentLeg(page);

  const url = `/analyze?call_id=${encodeURIComponent(agentLeg)}&correlate=X-Acme-Call-ID&prefix=X-Acme`;
  await page.goto(url);

  const legs = page.getByTestId('legs-table').getByTestId('leg-row');
  await expect(legs).toHaveCount(3, { timeout: 20_000 });
  await expect(page.getByTestId('legs-table')).toContainText(agentLeg);
  await expect(page.getByTestId('legs-table').locator('th', { hasText: 'X-Acme-Call-ID' })).toBeVisible();

  // The three Call-IDs, as the table shows them.
  const ids = await legs.locator('td:first-child a').allTextContents();
  expect(new Set(ids).size).toBe(3);
  const link = page.getByTestId('ladder-link');
  await expect(link).toBeVisible();
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).toMatch(/^\/call\/[^?]+\?t=\d+$/);
  const linked = decodeURIComponent(href.slice('/call/'.length).split('?')[0]).split(',');
  expect(new Set(linked)).toEqual(new Set(ids));

  // One combined ladder of the three legs, one colour (legend entry) per leg.
  const ladder = page.getByTestId('analyze-ladder');
  const legend = ladder.locator('.legend-item');
  await expect(legend).toHaveCount(3);
  expect(new Set(await legend.allTextContents())).toEqual(new Set(ids));
  await expect(ladder.locator('.lrow').first()).toBeVisible();
  const shown = (await ladder.locator('.ladder-wrap > p.notice').textContent()) ?? '';
  expect(Number(shown.match(/^(\d+) messages/)?.[1] ?? 0)).toBeGreaterThanOrEqual(3 * 4);

  // Removing a leg redraws the ladder without it; adding it back brings it back.
  const removed = legs.filter({ has: page.getByRole('button', { name: 'Remove' }) }).first();
  const removedId = (await removed.locator('td:first-child a').textContent()) ?? '';
  await removed.getByRole('button', { name: 'Remove' }).click();
  await expect(legend).toHaveCount(2);
  expect(await legend.allTextContents()).not.toContain(removedId);
  await page.getByTestId('suggested-table').getByTestId('leg-row')
    .filter({ hasText: removedId }).getByRole('button', { name: 'Add' }).click();
  await expect(legend).toHaveCount(3);

  // The link reproduces the analysis.
  await page.reload();
  await expect(legs).toHaveCount(3, { timeout: 20_000 });
  expect(new Set(await legs.locator('td:first-child a').allTextContents())).toEqual(new Set(ids));

  // The combined ladder opens with every leg.
  await link.click();
  await expect(page).toHaveURL(/\/call\//);
  await expect(page.locator('h1')).toHaveText('3 calls');
});
