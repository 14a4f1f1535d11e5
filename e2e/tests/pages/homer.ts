import { APIRequestContext, expect } from '@playwright/test';

export interface Row { sid: string; from_user: string; to_user: string; method: string; cseq: string; create_date: number; }

/** Messages of the last `minutes` from the default backend (the demo's embedded store), through hepscope. */
export async function recentRows(request: APIRequestContext, minutes = 30, limit = 5000): Promise<Row[]> {
  const now = Date.now();
  const response = await request.post('/api/v3/search/call/data', {
    data: {
      // HOMER takes the row limit from a `limit` filter element (param.limit is ignored; default 200).
      param: {
        transaction: {},
        limit,
        search: { '1_call': [{ name: 'limit', value: String(limit), type: 'string', hepid: 1 }] },
        location: {},
      },
      timestamp: { from: now - minutes * 60_000, to: now },
    },
  });
  expect(response.status()).toBe(201);
  const body = await response.json();
  return body.data as Row[];
}

/** Waits until the demo has stored calls, then returns the rows. */
export async function demoRows(request: APIRequestContext): Promise<Row[]> {
  let rows: Row[] = [];
  await expect.poll(async () => {
    rows = await recentRows(request);
    return rows.filter((r) => r.method === 'INVITE').length;
  }, { timeout: 30_000 }).toBeGreaterThan(10);
  return rows;
}
