import { test, expect } from '@playwright/test';
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { loginAsAdmin } from './pages/login';
import { demoRows, Row } from './pages/homer';

/** Every message of the call with `sid` in the last 30 minutes (up to 100). */
async function messagesOf(request: import('@playwright/test').APIRequestContext, sid: string): Promise<Row[]> {
  const now = Date.now();
  const response = await request.post('/api/v3/search/call/data', {
    data: {
      param: {
        search: {
          '1_call': [
            { name: 'sid', value: sid, type: 'string', hepid: 1 },
            { name: 'limit', value: '100', type: 'string', hepid: 1 },
          ],
        },
        location: {},
      },
      timestamp: { from: now - 30 * 60_000, to: now },
    },
  });
  expect(response.status()).toBe(201);
  return (await response.json()).data as Row[];
}

async function answeredCall(page: import('@playwright/test').Page) {
  // A short answered call (INVITE and 200 share the Call-ID): every row of its ladder fits on screen.
  // The newest rows can all belong to the demo's 2,000-message call while it runs: ask again then.
  let found: { sid: string; t: number } | undefined;
  await expect
    .poll(async () => {
      const rows = await demoRows(page.request);
      const bySid = new Map<string, string[]>();
      for (const r of rows) bySid.set(r.sid, [...(bySid.get(r.sid) ?? []), r.method]);
      const candidates = [...bySid.entries()]
        .filter(([, m]) => m.includes('INVITE') && m.includes('200') && m.length < 20)
        .map(([sid]) => sid);
      // The rows are the newest few thousand: a call cut at their edge looks short. Count its
      // messages by Call-ID before taking it.
      for (const sid of candidates.slice(0, 5)) {
        const all = await messagesOf(page.request, sid);
        if (all.length > 0 && all.length < 20) {
          found = { sid, t: all.map((r) => r.create_date).sort()[0] };
          return true;
        }
      }
      return false;
    }, { message: 'the demo has short answered calls', timeout: 30_000 })
    .toBe(true);
  return found!;
}

test('open a call from the calls list and read its ladder', async ({ page }) => {
  await loginAsAdmin(page);
  await demoRows(page.request);
  await page.goto('/calls?since=1h');
  const link = page.getByRole('table', { name: 'Calls' }).locator('tbody tr.vrow td:last-child a').first();
  const callId = await link.innerText();
  await link.click();
  await expect(page).toHaveURL(/\/call\//);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(callId);
  const ladder = page.getByRole('table', { name: 'SIP ladder' });
  await expect(ladder.getByRole('row', { name: /INVITE/ }).first()).toBeVisible();
  expect(await ladder.getByRole('columnheader').count()).toBeGreaterThan(2);
});

test('open a message to see the raw SIP and the SDP codecs', async ({ page }) => {
  await loginAsAdmin(page);
  const { sid, t } = await answeredCall(page);
  await page.goto(`/call/${encodeURIComponent(sid)}?t=${t}`);
  const ladder = page.getByRole('table', { name: 'SIP ladder' });
  await ladder.getByRole('row', { name: /INVITE .* with SDP/ }).first().click();
  await expect(page).toHaveURL(/msg=\d+/);
  await expect(page.getByTestId('raw-message')).toContainText('INVITE sip:');
  await expect(page.getByTestId('raw-message')).toContainText(`Call-ID: ${sid}`);
  const sdp = page.getByRole('region', { name: 'SDP' });
  await expect(sdp).toContainText(/PCMA|PCMU|G722|opus|G729/);
  // A pasted link opens the same message.
  await page.reload();
  await expect(page.getByTestId('raw-message')).toContainText('INVITE sip:');
});

test('move through the ladder with the keyboard and compare two messages', async ({ page }) => {
  await loginAsAdmin(page);
  const { sid, t } = await answeredCall(page);
  await page.goto(`/call/${encodeURIComponent(sid)}?t=${t}`);
  const ladder = page.getByRole('table', { name: 'SIP ladder' });
  await expect(ladder.getByRole('row', { name: /INVITE/ }).first()).toBeVisible();
  await ladder.focus();
  await page.keyboard.press('j');
  await expect(page.getByTestId('raw-message')).toContainText('INVITE');
  await page.getByRole('button', { name: 'Mark for diff' }).click();
  await ladder.focus();
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await expect(page.getByRole('region', { name: 'Diff' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Diff' }).locator('.removed').first()).toBeVisible();
  await page.keyboard.press('k');
  await expect(page).toHaveURL(/msg=\d+/);
});

test('download the call as PCAP and read it with tshark', async ({ page }) => {
  await loginAsAdmin(page);
  const { sid, t } = await answeredCall(page);
  await page.goto(`/call/${encodeURIComponent(sid)}?t=${t}&options=1&collapse=0&rtcp=0&logs=0`);
  const ladder = page.getByRole('table', { name: 'SIP ladder' });
  await expect(ladder.getByRole('row', { name: /200 OK/ }).first()).toBeVisible();
  const shown = await ladder.getByRole('row').count() - 1;
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'PCAP' }).click();
  const file = await (await download).path();
  const out = execFileSync('tshark', ['-r', file!, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID'], { encoding: 'utf8' });
  const ids = out.trim().split('\n').filter(Boolean);
  expect(ids.length).toBe(shown);
  expect(ids).toContain(sid);
});

test('download the SIPp scenario of the call (the UAC side of its first hop)', async ({ page }) => {
  await loginAsAdmin(page);
  const { sid, t } = await answeredCall(page);
  await page.goto(`/call/${encodeURIComponent(sid)}?t=${t}`);
  await expect(page.getByRole('table', { name: 'SIP ladder' }).getByRole('row', { name: /200 OK/ }).first()).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'SIPp scenario' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.uac\.xml$/);
  const xml = readFileSync((await file.path())!, 'utf8');
  expect(xml).toContain('<scenario name=');
  expect(xml).toMatch(/<send>\s*<!\[CDATA\[\s*INVITE sip:\S*@\[remote_ip\]:\[remote_port\] SIP\/2\.0/);
  expect(xml).toContain('Call-ID: [call_id]');
  expect(xml).toContain('<recv response="200"/>');
});

test("open one call then another quickly and see the second call's ladder", async ({ page }) => {
  await loginAsAdmin(page);
  // Two carrier-side INVITEs (Call-IDs of the carrier's addresses): each is the first message of its
  // call, so `msg=0` shows it even where the transaction also holds correlated legs.
  const invites = (await demoRows(page.request)).filter(
    (r) => r.method === 'INVITE' && /@198\.51\.100\.\d+$/.test(r.sid),
  );
  const a = invites[0];
  const b = invites.find((r) => r.sid !== a.sid)!;
  // A's transaction answers late: it lands after B's unless the view drops (or aborts) it.
  let aRequested = false;
  let aHeld = 0;
  await page.route('**/api/v3/call/transaction', async (route) => {
    const isA = (route.request().postData() ?? '').includes(JSON.stringify(a.sid));
    if (isA) {
      aRequested = true;
      aHeld += 1;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    // An aborted request can no longer be continued.
    await route.continue().catch(() => {});
    if (isA) aHeld -= 1;
  });
  await page.goto(`/call/${encodeURIComponent(a.sid)}?t=${a.create_date}&msg=0`);
  await expect.poll(() => aRequested).toBe(true);
  // Open B in the same view (a link, as the app's own navigation) while A is still loading.
  await page.evaluate((href) => {
    const link = document.createElement('a');
    link.href = href;
    link.textContent = 'open B';
    document.body.append(link);
    link.click();
  }, `/call/${encodeURIComponent(b.sid)}?t=${b.create_date}&msg=0`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(b.sid);
  const raw = page.getByTestId('raw-message');
  await expect(raw).toContainText(`Call-ID: ${b.sid}`);
  // Once every answer for A has landed (a call without an end is asked for twice), B's ladder is
  // still the one shown.
  await expect.poll(() => aHeld, { timeout: 15_000 }).toBe(0);
  await page.waitForTimeout(1_000);
  await expect(raw).toContainText(`Call-ID: ${b.sid}`);
  await expect(raw).not.toContainText(a.sid);
});
