import { test, expect, Page } from '@playwright/test';
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

const ROW_HEIGHT = 28; // virtual_table.rs ROW_HEIGHT

/** Rows in the live table (its aria-rowcount less the header row). */
async function liveRowCount(page: Page): Promise<number> {
  const count = await page.locator('.vtable table').getAttribute('aria-rowcount');
  return Number(count ?? '1') - 1;
}

/** The table's scroll position and the index of the row whose text is `text` (-1 if not rendered). */
async function placeOf(page: Page, text: string): Promise<{ top: number; index: number }> {
  return page.evaluate((wanted) => {
    const box = document.querySelector('.vtable') as HTMLElement;
    const row = Array.from(document.querySelectorAll('.vtable tr.vrow')).find((r) => r.textContent === wanted);
    return { top: box.scrollTop, index: row ? Number(row.getAttribute('aria-rowindex')) - 2 : -1 };
  }, text);
}

test('keep reading older live events while new ones arrive', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectErrors(page);
  await loginAsAdmin(page, '/live?history=200');
  await expect(page.locator('.live-link')).toHaveText('Connected', { timeout: 15_000 });
  await expect.poll(() => liveRowCount(page), { timeout: 60_000 }).toBeGreaterThan(40);

  // Scrolled down: new events come in above, the rows being read stay where they are.
  const table = page.locator('.vtable');
  await table.evaluate((el, top) => { el.scrollTop = top; }, 10 * ROW_HEIGHT);
  const reading = page.locator('.vtable tr.vrow[aria-rowindex="12"]');
  await expect(reading).toBeVisible();
  const text = (await reading.textContent()) ?? '';
  const before = await liveRowCount(page);
  await expect.poll(() => liveRowCount(page), { timeout: 30_000 }).toBeGreaterThan(before);
  await expect
    .poll(async () => {
      const { top, index } = await placeOf(page, text);
      return index > 10 && Math.round(top / ROW_HEIGHT) === index;
    }, { timeout: 5_000, message: 'the row read stays at the top of the view, further down the list' })
    .toBe(true);

  // At the top, the table follows the newest events.
  await table.evaluate((el) => { el.scrollTop = 0; });
  const newest = (await page.locator('.vtable tr.vrow[aria-rowindex="2"]').textContent()) ?? '';
  await expect
    .poll(async () => page.locator('.vtable tr.vrow[aria-rowindex="2"]').textContent(), { timeout: 30_000 })
    .not.toEqual(newest);
  expect(await table.evaluate((el) => el.scrollTop)).toBe(0);
  expect(errors).toEqual([]);
});

test('follow one call as a live ladder that grows as its messages arrive', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = collectErrors(page);
  await loginAsAdmin(page, '/live?proto=1&history=200');
  await expect(page.locator('.live-link')).toHaveText('Connected', { timeout: 15_000 });
  const ladderRows = page.locator('.ladder .lrow');
  let grew = false;
  // A call that has just started (its INVITE is the newest) usually has more to come; a busy or
  // failed one may already be over, so try a few.
  for (let attempt = 0; attempt < 6 && !grew; attempt++) {
    // Paused, the rows hold still to be clicked (the ladder is fed all the same). Pausing before an
    // INVITE has arrived (or while new rows push it out of the rendered window) would freeze a table
    // without one, so: wait for an INVITE while running, pause, and resume to try again if it is gone.
    const invite = page
      .getByTestId('live-row')
      .filter({ has: page.locator('td.live-method', { hasText: /^INVITE$/ }) })
      .first();
    await expect(async () => {
      const resume = page.getByRole('button', { name: 'Resume' });
      if (await resume.isVisible()) await resume.click();
      await expect(invite).toBeVisible({ timeout: 10_000 });
      await page.getByRole('button', { name: 'Pause' }).click();
      await expect(invite).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 90_000 });
    const callId = (await invite.getByRole('link').textContent()) ?? '';
    await invite.getByRole('button', { name: 'Follow' }).click();
    await expect(page.locator('main h1')).toHaveText(`Live call ${callId}`);
    await expect(page).toHaveURL(/follow=/);
    await expect(ladderRows.first()).toBeVisible({ timeout: 15_000 });
    const first = await ladderRows.count();
    try {
      await expect.poll(() => ladderRows.count(), { timeout: 25_000 }).toBeGreaterThan(first);
      grew = true;
    } catch {
      await page.getByRole('button', { name: 'Back to all traffic' }).click();
      await expect(page.locator('main h1')).toHaveText('Live');
      await page.getByRole('button', { name: 'Resume' }).click();
      await expect(page.getByTestId('live-row').first()).toBeVisible({ timeout: 15_000 });
    }
  }
  expect(grew).toBe(true);
  expect(errors).toEqual([]);
});
