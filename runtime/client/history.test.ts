/**
 * W3–W5, the client's history views, against a real node:http server that serves the windowed
 * history endpoint with the server runtime (serveHistory over the in-memory store) — and that
 * can be told to misbehave: answer a tail request with older items, or send an invalid page.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryDescriptor } from '../contract.js';
import { createMemoryHistoryStore, matchHistoryPath, serveHistory, type HistoryRoute, type MemoryHistoryStore } from '../server/history.js';
import { createValidator, type RawValidationError, type RawValidator } from '../validation.js';
import { createHistoryView, fetchHistoryPage, HistoryRequestError, type HistoryClientOptions, type HistoryPage } from './history.js';

interface Chunk {
  readonly seq: number;
  readonly role: 'user' | 'assistant';
  readonly chunk: { readonly kind: 'text'; readonly text: string };
}

const endpoint: HistoryDescriptor = {
  name: 'conversationHistory',
  path: '/conversations/{conversationId}',
  pathParams: [{ name: 'conversationId', pattern: '^[A-Za-z0-9_-]{1,64}$' }],
  maxLimit: 500,
};

/** A hand-written page validator (the generated one is Ajv code; this keeps the runtime test self-contained). */
const rawPageValidator: RawValidator = Object.assign(
  (data: unknown): boolean => {
    const errors: RawValidationError[] = [];
    const page = data as { chunks?: unknown; latestSeq?: unknown } | null;
    if (typeof page !== 'object' || page === null) errors.push({ instancePath: '', keyword: 'type', params: {}, message: 'must be object' });
    else {
      if (!Number.isInteger(page.latestSeq) || (page.latestSeq as number) < 0) errors.push({ instancePath: '/latestSeq', keyword: 'type', params: {}, message: 'must be a non-negative integer' });
      if (!Array.isArray(page.chunks)) errors.push({ instancePath: '', keyword: 'required', params: { missingProperty: 'chunks' } });
      else
        page.chunks.forEach((c: { seq?: unknown }, i) => {
          if (!Number.isInteger(c?.seq) || (c.seq as number) < 1) errors.push({ instancePath: `/chunks/${i}/seq`, keyword: 'minimum', params: {}, message: 'must be a positive integer' });
        });
    }
    rawPageValidator.errors = errors.length > 0 ? errors : null;
    return errors.length === 0;
  },
  { errors: null as RawValidationError[] | null },
);
const validateResponse = createValidator<HistoryPage<Chunk>>('ConversationHistoryResponse', rawPageValidator);

let server: Server;
let baseUrl: string;
let store: MemoryHistoryStore<Chunk>;
/** Every request's path and query, in order. */
const requests: { path: string; query: Record<string, string>; headers: IncomingMessage['headers'] }[] = [];
/** When set, answers instead of the real endpoint (a misbehaving server). */
let override: ((url: URL, res: ServerResponse) => boolean) | undefined;

const route = (): HistoryRoute<Chunk> => ({ ...endpoint, store });

const appendN = (conversationId: string, n: number): void => {
  for (let i = 0; i < n; i++) store.append(conversationId, { role: i % 2 ? 'assistant' : 'user', chunk: { kind: 'text', text: `m${store.size(conversationId) + 1}` } });
};

const options = (headers?: Record<string, string>): HistoryClientOptions<Chunk> => ({ baseUrl, fetch: globalThis.fetch, endpoint, validateResponse, headers });
const seqs = (items: readonly { seq: number }[]): number[] => items.map((c) => c.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers });
    if (override?.(url, res)) return;
    const params = matchHistoryPath(endpoint.path, url.pathname);
    if (!params) return json(res, 404, { error: 'no route' });
    void serveHistory(route(), req, res, url, params);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  store = createMemoryHistoryStore<Chunk>();
  requests.length = 0;
  override = undefined;
});

describe('createHistoryView (W3–W5)', () => {
  it('fresh load asks ?sinceSeq=0&limit=k and holds the newest k items in ascending order', async () => {
    appendN('c1', 120);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 50);
    const items = await view.load();
    expect(requests.at(-1)).toMatchObject({ path: '/conversations/c1', query: { sinceSeq: '0', limit: '50' } });
    expect(seqs(items)).toEqual(range(71, 120));
    expect(seqs(view.items)).toEqual(range(71, 120));
    expect(view.cursor).toBe(120);
    expect(view.hasEarlier).toBe(true);
  });

  it('a conversation shorter than the page loads whole: no earlier items, cursor at the last seq', async () => {
    appendN('short', 7);
    const view = createHistoryView(options(), { conversationId: 'short' }, 50);
    await view.load();
    expect(seqs(view.items)).toEqual(range(1, 7));
    expect(view.cursor).toBe(7);
    expect(view.hasEarlier).toBe(false);
    expect(await view.showEarlier()).toEqual([]);
    expect(requests).toHaveLength(1); // nothing older exists: showEarlier asks nothing
  });

  it('an empty conversation loads as empty with cursor 0 and no earlier items', async () => {
    store.create('empty');
    const view = createHistoryView(options(), { conversationId: 'empty' }, 10);
    expect(await view.load()).toEqual([]);
    expect(view.cursor).toBe(0);
    expect(view.hasEarlier).toBe(false);
    appendN('empty', 2);
    expect(seqs(await view.sync())).toEqual([1, 2]);
    expect(view.cursor).toBe(2);
  });

  it('tail sync asks ?sinceSeq=cursor without a limit and appends exactly the new items', async () => {
    appendN('c1', 120);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 50);
    await view.load();
    appendN('c1', 600); // more than maxLimit: a limited tail would leave a silent gap
    const fresh = await view.sync();
    expect(requests.at(-1)!.query).toEqual({ sinceSeq: '120' });
    expect(seqs(fresh)).toEqual(range(121, 720));
    expect(view.cursor).toBe(720);
    expect(seqs(view.items)).toEqual(range(71, 720));
    expect(await view.sync()).toEqual([]);
    expect(requests.at(-1)!.query).toEqual({ sinceSeq: '720' });
    expect(view.cursor).toBe(720);
  });

  it('tail sync never moves the cursor back, even when the server answers with older items', async () => {
    appendN('c1', 30);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 10);
    await view.load();
    expect(view.cursor).toBe(30);
    // A broken server answers the tail request with an old window and an old latestSeq.
    override = (url, res) => {
      if (url.searchParams.get('sinceSeq') !== '30') return false;
      json(res, 200, { chunks: store.read('c1', { sinceSeq: 0, beforeSeq: 16, limit: 5 })!.chunks, latestSeq: 15 });
      return true;
    };
    expect(await view.sync()).toEqual([]);
    expect(view.cursor).toBe(30);
    expect(seqs(view.items)).toEqual(range(21, 30));
    // A page that overlaps the tail adds only what is newer than the cursor.
    appendN('c1', 3);
    override = (url, res) => {
      if (url.searchParams.get('sinceSeq') !== '30') return false;
      json(res, 200, store.read('c1', { sinceSeq: 27 }));
      return true;
    };
    expect(seqs(await view.sync())).toEqual([31, 32, 33]);
    expect(view.cursor).toBe(33);
    expect(seqs(view.items)).toEqual(range(21, 33));
  });

  it('a backfill (showEarlier) never moves the tail cursor, and a reload never moves it back', async () => {
    appendN('c1', 40);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 10);
    await view.load();
    await view.showEarlier();
    expect(view.cursor).toBe(40);
    // The server now answers the fresh load with an older window (a stale replica).
    override = (url, res) => {
      if (url.searchParams.get('sinceSeq') !== '0') return false;
      json(res, 200, store.read('c1', { sinceSeq: 0, beforeSeq: 21, limit: 10 }));
      return true;
    };
    await view.load();
    expect(view.cursor).toBe(40);
  });

  it('showEarlier asks ?beforeSeq=oldest&limit=k and walks back to seq 1, where hasEarlier becomes false', async () => {
    appendN('c1', 123);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 50);
    await view.load();
    expect(seqs(view.items)).toEqual(range(74, 123));
    const pages: number[][] = [];
    while (view.hasEarlier) {
      const before = view.items[0]!.seq;
      const older = await view.showEarlier();
      expect(requests.at(-1)!.query).toEqual({ beforeSeq: String(before), limit: '50' });
      pages.push(seqs(older));
      expect(pages.length).toBeLessThan(10);
    }
    expect(pages).toEqual([range(24, 73), range(1, 23)]);
    expect(seqs(view.items)).toEqual(range(1, 123));
    expect(view.hasEarlier).toBe(false);
    expect(view.cursor).toBe(123);
    const count = requests.length;
    expect(await view.showEarlier()).toEqual([]);
    expect(requests).toHaveLength(count);
  });

  it('showEarlier keeps only items older than the oldest loaded one, whatever the server sends', async () => {
    appendN('c1', 30);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 10);
    await view.load();
    override = (url, res) => {
      if (!url.searchParams.has('beforeSeq')) return false;
      json(res, 200, store.read('c1', { sinceSeq: 15, beforeSeq: 25 })); // overlaps the loaded 21..30
      return true;
    };
    expect(seqs(await view.showEarlier())).toEqual([16, 17, 18, 19, 20]);
    expect(seqs(view.items)).toEqual(range(16, 30));
    expect(view.cursor).toBe(30);
  });

  it('clamps the page size to the endpoint maxLimit', async () => {
    appendN('c1', 600);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 10_000);
    await view.load();
    expect(requests.at(-1)!.query).toEqual({ sinceSeq: '0', limit: '500' });
    expect(view.items).toHaveLength(500);
  });

  it('refuses a page size that is not a positive integer', () => {
    expect(() => createHistoryView(options(), { conversationId: 'c1' }, 0)).toThrow(RangeError);
    expect(() => createHistoryView(options(), { conversationId: 'c1' }, 2.5)).toThrow(RangeError);
  });

  it('sends the extra headers with every request', async () => {
    appendN('c1', 3);
    const view = createHistoryView(options({ authorization: 'Bearer abc' }), { conversationId: 'c1' }, 10);
    await view.load();
    expect(requests.at(-1)!.headers.authorization).toBe('Bearer abc');
  });
});

describe('history errors', () => {
  it('a 400 from the server becomes HistoryRequestError with the parameter it names (W2)', async () => {
    appendN('c1', 5);
    const bad = createHistoryView(options(), { conversationId: 'not valid!' }, 10);
    const err = await bad.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryRequestError);
    expect(err).toMatchObject({ status: 400, parameter: 'conversationId' });
    for (const [query, parameter] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
      [{ beforeSeq: 0 }, 'beforeSeq'],
      [{ sinceSeq: -1 }, 'sinceSeq'],
    ] as const) {
      const e = await fetchHistoryPage(options(), { conversationId: 'c1' }, query).catch((x: unknown) => x);
      expect(e, JSON.stringify(query)).toBeInstanceOf(HistoryRequestError);
      expect(e).toMatchObject({ status: 400, parameter });
      expect((e as Error).message).toContain(parameter);
    }
  });

  it('a 404 (unknown conversation) is a HistoryRequestError without a parameter', async () => {
    const view = createHistoryView(options(), { conversationId: 'nobody' }, 10);
    const err = await view.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryRequestError);
    expect(err).toMatchObject({ status: 404, parameter: undefined });
  });

  it('an error answer that is not JSON still becomes a HistoryRequestError with the status', async () => {
    override = (_url, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down');
      return true;
    };
    const err = await fetchHistoryPage(options(), { conversationId: 'c1' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryRequestError);
    expect(err).toMatchObject({ status: 503, message: 'history request failed with HTTP 503' });
  });

  it('an invalid page from the server is rejected and leaves the view as it was', async () => {
    appendN('c1', 20);
    const view = createHistoryView(options(), { conversationId: 'c1' }, 10);
    await view.load();
    appendN('c1', 2);
    override = (_url, res) => {
      json(res, 200, { chunks: [{ seq: 'twenty-one', role: 'user', chunk: { kind: 'text', text: 'x' } }], latestSeq: 21 });
      return true;
    };
    const err = await view.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryRequestError);
    expect((err as Error).message).toMatch(/invalid history page.*\/chunks\/0\/seq/);
    expect(view.cursor).toBe(20);
    expect(seqs(view.items)).toEqual(range(11, 20));
    // A 200 that is not JSON at all is rejected the same way.
    override = (_url, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"chunks": [');
      return true;
    };
    await expect(view.showEarlier()).rejects.toBeInstanceOf(HistoryRequestError);
    expect(seqs(view.items)).toEqual(range(11, 20));
    override = undefined;
    expect(seqs(await view.sync())).toEqual([21, 22]);
  });

  it('a missing path parameter is a TypeError before any request', async () => {
    await expect(fetchHistoryPage(options(), {}, {})).rejects.toThrow(/missing path parameter "conversationId"/);
    expect(requests).toHaveLength(0);
  });
});
