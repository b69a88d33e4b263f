import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryHistoryStore,
  matchHistoryPath,
  parseHistoryQuery,
  readWindow,
  serveHistory,
  type HistoryItem,
  type HistoryRoute,
  type HistoryStore,
  type HistoryWindowQuery,
} from './history.js';

interface Chunk extends HistoryItem {
  readonly role: 'user' | 'assistant' | 'tool';
  readonly turn_id?: string;
  readonly chunk: { readonly kind: 'text'; readonly text: string };
}

/** A gap-free log of `n` items, seq 1..n. */
function log(n: number): Chunk[] {
  return Array.from({ length: n }, (_, i) => ({ seq: i + 1, role: i % 2 ? 'assistant' : 'user', chunk: { kind: 'text', text: `m${i + 1}` } }));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function seqs(window: { readonly chunks: readonly HistoryItem[] }): number[] {
  return window.chunks.map((c) => c.seq);
}

const q = (query: Partial<HistoryWindowQuery>): HistoryWindowQuery => ({ sinceSeq: 0, ...query });

describe('readWindow (W1/W3)', () => {
  const cases: { name: string; n: number; query: HistoryWindowQuery; seqs: number[]; latestSeq: number }[] = [
    { name: 'no parameters: the whole log', n: 10, query: q({}), seqs: range(1, 10), latestSeq: 10 },
    { name: 'fresh load: the newest k, ascending', n: 10, query: q({ limit: 3 }), seqs: [8, 9, 10], latestSeq: 10 },
    { name: 'a selection of exactly limit items is whole', n: 10, query: q({ limit: 10 }), seqs: range(1, 10), latestSeq: 10 },
    { name: 'a short log (< limit) is returned whole', n: 4, query: q({ limit: 50 }), seqs: [1, 2, 3, 4], latestSeq: 4 },
    { name: 'tail sync: everything after the cursor', n: 10, query: q({ sinceSeq: 7 }), seqs: [8, 9, 10], latestSeq: 10 },
    { name: 'tail sync at the end: empty, cursor unchanged', n: 10, query: q({ sinceSeq: 10 }), seqs: [], latestSeq: 10 },
    { name: 'sinceSeq past the end: empty, latestSeq = sinceSeq', n: 10, query: q({ sinceSeq: 25 }), seqs: [], latestSeq: 25 },
    { name: 'beforeSeq: the newest k below it', n: 10, query: q({ beforeSeq: 8, limit: 3 }), seqs: [5, 6, 7], latestSeq: 7 },
    { name: 'beforeSeq without limit: everything below it', n: 10, query: q({ beforeSeq: 4 }), seqs: [1, 2, 3], latestSeq: 3 },
    { name: 'beforeSeq near the start: fewer than k', n: 10, query: q({ beforeSeq: 3, limit: 5 }), seqs: [1, 2], latestSeq: 2 },
    { name: 'beforeSeq = 1: empty', n: 10, query: q({ beforeSeq: 1, limit: 5 }), seqs: [], latestSeq: 0 },
    { name: 'beforeSeq past the end: as if omitted', n: 10, query: q({ beforeSeq: 1000, limit: 2 }), seqs: [9, 10], latestSeq: 10 },
    { name: 'sinceSeq + beforeSeq + limit', n: 100, query: q({ sinceSeq: 10, beforeSeq: 30, limit: 5 }), seqs: [25, 26, 27, 28, 29], latestSeq: 29 },
    { name: 'sinceSeq + beforeSeq, selection < limit', n: 100, query: q({ sinceSeq: 10, beforeSeq: 14, limit: 5 }), seqs: [11, 12, 13], latestSeq: 13 },
    { name: 'beforeSeq = sinceSeq + 1: empty', n: 10, query: q({ sinceSeq: 4, beforeSeq: 5 }), seqs: [], latestSeq: 4 },
    { name: 'beforeSeq < sinceSeq: empty', n: 10, query: q({ sinceSeq: 6, beforeSeq: 3, limit: 2 }), seqs: [], latestSeq: 6 },
    { name: 'limit 1: the newest item only', n: 10, query: q({ limit: 1 }), seqs: [10], latestSeq: 10 },
    { name: 'an empty log', n: 0, query: q({ limit: 5 }), seqs: [], latestSeq: 0 },
    { name: 'an empty log, sinceSeq > 0', n: 0, query: q({ sinceSeq: 3 }), seqs: [], latestSeq: 3 },
    { name: 'huge bounds are safe', n: 10, query: q({ sinceSeq: Number.MAX_SAFE_INTEGER, beforeSeq: Number.MAX_SAFE_INTEGER, limit: Number.MAX_SAFE_INTEGER }), seqs: [], latestSeq: Number.MAX_SAFE_INTEGER },
  ];
  it.each(cases)('$name', ({ n, query, seqs: want, latestSeq }) => {
    const items = log(n);
    const window = readWindow(items, query);
    expect(seqs(window)).toEqual(want);
    expect(window.latestSeq).toBe(latestSeq);
    // Items are returned as stored, not rebuilt.
    for (const c of window.chunks) expect(c).toBe(items[c.seq - 1]);
  });

  it.each([
    { name: 'negative sinceSeq', query: q({ sinceSeq: -1 }) },
    { name: 'fractional sinceSeq', query: q({ sinceSeq: 1.5 }) },
    { name: 'beforeSeq 0', query: q({ beforeSeq: 0 }) },
    { name: 'limit 0', query: q({ limit: 0 }) },
    { name: 'limit Infinity', query: q({ limit: Number.POSITIVE_INFINITY }) },
    { name: 'NaN sinceSeq', query: q({ sinceSeq: Number.NaN }) },
  ])('rejects an invalid query loudly: $name', ({ query }) => {
    expect(() => readWindow(log(5), query)).toThrow(RangeError);
  });

  it('notices a log that is not 1-based and gap-free', () => {
    const zeroBased = log(5).map((c) => ({ ...c, seq: c.seq - 1 }));
    expect(() => readWindow(zeroBased, q({ limit: 2 }))).toThrow(/not 1-based and gap-free/);
    const gappy = [...log(3), { ...log(5)[4]! }];
    expect(() => readWindow(gappy, q({}))).toThrow(/not 1-based and gap-free/);
  });
});

describe('createMemoryHistoryStore (W4)', () => {
  const text = (t: string): Omit<Chunk, 'seq'> => ({ role: 'user', chunk: { kind: 'text', text: t } });

  it('is a HistoryStore with size and create', () => {
    const store: HistoryStore<Chunk> & { size(id: string): number; create(id: string): void } = createMemoryHistoryStore<Chunk>();
    expect(typeof store.size).toBe('function');
  });

  it('stamps seq 1, 2, 3 per conversation (seq origin 1, gap-free)', () => {
    const store = createMemoryHistoryStore<Chunk>();
    expect(store.append('a', text('a1')).seq).toBe(1);
    expect(store.append('a', text('a2')).seq).toBe(2);
    expect(store.append('b', text('b1')).seq).toBe(1);
    expect(store.append('a', text('a3')).seq).toBe(3);
    expect(store.size('a')).toBe(3);
    expect(store.size('b')).toBe(1);
    expect(seqs(store.read('a', q({}))!)).toEqual([1, 2, 3]);
  });

  it('returns the stamped item, a frozen copy with seq first, stored as given', () => {
    const store = createMemoryHistoryStore<Chunk>();
    const input = { role: 'assistant', turn_id: 't-1', chunk: { kind: 'text', text: 'hi' } } as const;
    const stamped = store.append('c', input);
    expect(stamped).toEqual({ seq: 1, ...input });
    expect(Object.keys(stamped)[0]).toBe('seq');
    expect(Object.isFrozen(stamped)).toBe(true);
    expect(stamped).not.toBe(input);
    expect(store.read('c', q({}))?.chunks[0]).toBe(stamped);
  });

  it('ignores a seq smuggled into the appended item', () => {
    const store = createMemoryHistoryStore<Chunk>();
    const stamped = store.append('c', { ...text('x'), seq: 99 } as unknown as Omit<Chunk, 'seq'>);
    expect(stamped.seq).toBe(1);
  });

  it('answers undefined for an unknown conversation, and create() makes an empty one', () => {
    const store = createMemoryHistoryStore<Chunk>();
    expect(store.read('nope', q({}))).toBeUndefined();
    expect(store.size('nope')).toBe(0);
    store.create('empty');
    expect(store.read('empty', q({}))).toEqual({ chunks: [], latestSeq: 0 });
    expect(store.read('empty', q({ sinceSeq: 7, limit: 3 }))).toEqual({ chunks: [], latestSeq: 7 });
    store.append('empty', text('first'));
    store.create('empty'); // no-op on an existing conversation
    expect(store.size('empty')).toBe(1);
  });
});

describe('client flows of the seed (W3–W5)', () => {
  async function storeWith(n: number): Promise<HistoryStore<Chunk>> {
    const store = createMemoryHistoryStore<Chunk>();
    store.create('conv');
    for (let i = 1; i <= n; i++) await store.append('conv', { role: 'user', chunk: { kind: 'text', text: `m${i}` } });
    return store;
  }
  const read = async (store: HistoryStore<Chunk>, query: HistoryWindowQuery) => {
    const w = await store.read('conv', query);
    if (!w) throw new Error('conversation missing');
    return w;
  };

  it('fresh load → tail sync → page older until seq 1, then an empty page', async () => {
    const k = 50;
    const store = await storeWith(170);

    // Fresh load: the newest k, ascending; older items exist (W4).
    const fresh = await read(store, { sinceSeq: 0, limit: k });
    expect(seqs(fresh)).toEqual(range(121, 170));
    expect(fresh.latestSeq).toBe(170);
    let cursor = fresh.latestSeq;
    let oldest = fresh.chunks[0]!.seq;
    expect(oldest > 1).toBe(true); // hasEarlier

    // Tail sync: nothing new yet, then exactly the new items; the cursor only moves forward.
    expect(await read(store, { sinceSeq: cursor })).toEqual({ chunks: [], latestSeq: 170 });
    for (let i = 0; i < 3; i++) await store.append('conv', { role: 'assistant', chunk: { kind: 'text', text: 'new' } });
    const tail = await read(store, { sinceSeq: cursor });
    expect(seqs(tail)).toEqual([171, 172, 173]);
    expect(tail.latestSeq).toBeGreaterThan(cursor);
    cursor = tail.latestSeq;

    // Page older: 120..71, 70..21, 20..1, then nothing; hasEarlier flips exactly at seq 1.
    const pages: number[][] = [];
    for (;;) {
      const page = await read(store, { sinceSeq: 0, beforeSeq: oldest, limit: k });
      if (page.chunks.length === 0) {
        expect(page.latestSeq).toBe(0); // = the requested sinceSeq
        break;
      }
      expect(page.latestSeq).toBeLessThan(cursor); // a backfill page never moves the tail cursor
      pages.push(seqs(page));
      oldest = page.chunks[0]!.seq;
      expect(pages.length).toBeLessThan(10);
    }
    expect(pages).toEqual([range(71, 120), range(21, 70), range(1, 20)]);
    expect(oldest > 1).toBe(false); // hasEarlier is false once seq 1 is loaded
    expect([...pages.flat()].sort((a, b) => a - b)).toEqual(range(1, 120)); // no item lost or repeated
  });

  it('a short conversation (<= k) is returned whole and has nothing earlier', async () => {
    const store = await storeWith(12);
    const fresh = await read(store, { sinceSeq: 0, limit: 50 });
    expect(seqs(fresh)).toEqual(range(1, 12));
    expect(fresh.chunks[0]!.seq > 1).toBe(false);
  });

  it('a cursor past the end answers an empty window with latestSeq = sinceSeq', async () => {
    const store = await storeWith(5);
    expect(await read(store, { sinceSeq: 9 })).toEqual({ chunks: [], latestSeq: 9 });
  });

  it('an empty conversation: fresh load and tail sync are empty at cursor 0', async () => {
    const store = await storeWith(0);
    expect(await read(store, { sinceSeq: 0, limit: 50 })).toEqual({ chunks: [], latestSeq: 0 });
    expect(await read(store, { sinceSeq: 0 })).toEqual({ chunks: [], latestSeq: 0 });
  });
});

describe('W6: a window read touches only the window', () => {
  const N = 1_000_000;
  const items = log(N);
  function counting(): { proxy: readonly Chunk[]; touched: Set<number>; accesses: () => number } {
    const touched = new Set<number>();
    let accesses = 0;
    const note = (key: string | symbol): void => {
      if (typeof key === 'string' && /^(0|[1-9][0-9]*)$/.test(key)) {
        touched.add(Number(key));
        accesses++;
      }
    };
    const proxy = new Proxy(items, {
      get(target, key, receiver) {
        note(key);
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        note(key);
        return Reflect.has(target, key);
      },
      getOwnPropertyDescriptor(target, key) {
        note(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
    return { proxy, touched, accesses: () => accesses };
  }

  it.each([
    { name: 'fresh load', query: q({ limit: 50 }), from: N - 49, to: N },
    { name: 'page older in the middle', query: q({ beforeSeq: 500_001, limit: 50 }), from: 499_951, to: 500_000 },
    { name: 'combined window', query: q({ sinceSeq: 10, beforeSeq: 200_000, limit: 50 }), from: 199_950, to: 199_999 },
    { name: 'tail sync near the end', query: q({ sinceSeq: N - 50 }), from: N - 49, to: N },
  ])('$name: limit/tail of 50 on 1,000,000 items touches <= 60 elements', ({ query, from, to }) => {
    const { proxy, touched, accesses } = counting();
    const window = readWindow(proxy, query);
    expect(seqs(window)).toEqual(range(from, to));
    expect(touched.size).toBeLessThanOrEqual(60);
    expect(accesses()).toBeLessThanOrEqual(2 * 60); // slice reads each index at most as has + get
    for (const index of touched) expect(index + 1 >= from && index + 1 <= to).toBe(true);
  });

  it('an empty window (sinceSeq past the end) touches nothing', () => {
    const { proxy, touched } = counting();
    expect(readWindow(proxy, q({ sinceSeq: N + 5, limit: 50 }))).toEqual({ chunks: [], latestSeq: N + 5 });
    expect(touched.size).toBe(0);
  });

  it('the counter is real: a filtering read would touch the whole log', () => {
    const { proxy, touched } = counting();
    expect(proxy.filter((c) => c.seq > N - 50).length).toBe(50);
    expect(touched.size).toBe(N);
  });
});

// ---------------------------------------------------------------------------------------------
// W2

/** A query as it appears in a URL (decoded by URLSearchParams, so `+` is a space) or as pairs. */
type RawQuery = string | [string, string][];
const toParams = (raw: RawQuery): URLSearchParams => new URLSearchParams(raw);
const toSearch = (raw: RawQuery): string => (typeof raw === 'string' ? raw : new URLSearchParams(raw).toString());

const badQueries: { name: string; query: RawQuery; parameter: string; maxLimit?: number }[] = [
  { name: 'limit 0', query: 'limit=0', parameter: 'limit' },
  { name: 'limit -1', query: 'limit=-1', parameter: 'limit' },
  { name: 'limit 1.5', query: 'limit=1.5', parameter: 'limit' },
  { name: 'limit 1e3', query: 'limit=1e3', parameter: 'limit' },
  { name: 'limit 0x10', query: 'limit=0x10', parameter: 'limit' },
  { name: 'limit " 5"', query: 'limit=%205', parameter: 'limit' },
  { name: 'limit "+5"', query: [['limit', '+5']], parameter: 'limit' },
  { name: 'limit +5 in a URL (decodes to " 5")', query: 'limit=+5', parameter: 'limit' },
  { name: 'limit "" (empty)', query: 'limit=', parameter: 'limit' },
  { name: 'limit without "="', query: 'limit', parameter: 'limit' },
  { name: 'limit abc', query: 'limit=abc', parameter: 'limit' },
  { name: 'limit 2**53', query: `limit=${2 ** 53}`, parameter: 'limit' },
  { name: 'limit of 20 digits', query: 'limit=99999999999999999999', parameter: 'limit' },
  { name: 'limit over maxLimit', query: 'limit=501', parameter: 'limit', maxLimit: 500 },
  { name: 'limit with a trailing NUL', query: 'limit=10%00', parameter: 'limit' },
  { name: 'limit twice', query: 'limit=10&limit=20', parameter: 'limit' },
  { name: 'sinceSeq twice, same value', query: 'sinceSeq=0&sinceSeq=0', parameter: 'sinceSeq' },
  { name: 'unknown parameter (typo limt)', query: 'sinceSeq=0&limt=10', parameter: 'limt' },
  { name: 'unknown parameter after good ones', query: 'limit=5&foo=bar', parameter: 'foo' },
  { name: 'parameter names are case-sensitive', query: 'SinceSeq=5', parameter: 'SinceSeq' },
  { name: 'empty parameter name', query: '=5', parameter: '' },
  { name: 'beforeSeq 0', query: 'beforeSeq=0', parameter: 'beforeSeq' },
  { name: 'beforeSeq -5', query: 'beforeSeq=-5', parameter: 'beforeSeq' },
  { name: 'beforeSeq 1_000', query: 'beforeSeq=1_000', parameter: 'beforeSeq' },
  { name: 'beforeSeq 2**53', query: `beforeSeq=${2 ** 53}`, parameter: 'beforeSeq' },
  { name: 'sinceSeq -1', query: 'sinceSeq=-1', parameter: 'sinceSeq' },
  { name: 'sinceSeq 01 (leading zero)', query: 'sinceSeq=01', parameter: 'sinceSeq' },
  { name: 'sinceSeq 1.0', query: 'sinceSeq=1.0', parameter: 'sinceSeq' },
  { name: 'sinceSeq "5 " (trailing space)', query: 'sinceSeq=5%20', parameter: 'sinceSeq' },
  { name: 'sinceSeq Infinity', query: 'sinceSeq=Infinity', parameter: 'sinceSeq' },
  { name: 'sinceSeq NaN', query: 'sinceSeq=NaN', parameter: 'sinceSeq' },
  { name: 'sinceSeq fullwidth digit', query: 'sinceSeq=%EF%BC%95', parameter: 'sinceSeq' },
  { name: 'sinceSeq Arabic-Indic digit', query: 'sinceSeq=%D9%A3', parameter: 'sinceSeq' },
  { name: 'a good sinceSeq does not hide a bad limit', query: 'sinceSeq=3&limit=0', parameter: 'limit' },
];

describe('parseHistoryQuery (W2)', () => {
  it('has a table of at least 20 bad inputs', () => {
    expect(badQueries.length).toBeGreaterThanOrEqual(20);
  });

  it.each(badQueries)('rejects $name', ({ query, parameter, maxLimit }) => {
    const result = parseHistoryQuery(toParams(query), maxLimit === undefined ? {} : { maxLimit });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.parameter).toBe(parameter);
    expect(result.error).toContain(JSON.stringify(parameter).slice(1, -1));
    expect(result.error).not.toMatch(/\n/);
  });

  it.each([
    { query: 'limit=0', maxLimit: 500, error: 'limit must be a positive integer (1..500), got "0"' },
    { query: 'limit=501', maxLimit: 500, error: 'limit must be a positive integer (1..500), got "501"' },
    { query: 'beforeSeq=0', error: 'beforeSeq must be a positive integer (1..9007199254740991), got "0"' },
    { query: 'sinceSeq=-1', error: 'sinceSeq must be a non-negative integer (0..9007199254740991), got "-1"' },
    { query: 'limit=', error: 'limit must be a positive integer (1..9007199254740991), got ""' },
    { query: 'limt=10', error: 'unknown query parameter "limt"; the allowed parameters are sinceSeq, beforeSeq, limit' },
    { query: 'limit=10&limit=20', error: 'limit must be given at most once, got 2 values ("10", "20")' },
  ])('says what it got and what is allowed: $query', ({ query, maxLimit, error }) => {
    expect(parseHistoryQuery(new URLSearchParams(query), maxLimit === undefined ? {} : { maxLimit })).toEqual({
      ok: false,
      parameter: error.startsWith('unknown') ? 'limt' : query.split('=')[0],
      error,
    });
  });

  it('cuts a huge value short in the error text', () => {
    const result = parseHistoryQuery(new URLSearchParams({ limit: 'x'.repeat(10_000) }), {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeLessThan(200);
  });

  it.each([
    { query: '', maxLimit: 500, want: { sinceSeq: 0 } },
    { query: 'sinceSeq=0&limit=50', maxLimit: 500, want: { sinceSeq: 0, limit: 50 } },
    { query: 'sinceSeq=120', maxLimit: 500, want: { sinceSeq: 120 } },
    { query: 'beforeSeq=71&limit=50', maxLimit: 500, want: { sinceSeq: 0, beforeSeq: 71, limit: 50 } },
    { query: 'limit=10&beforeSeq=9&sinceSeq=5', maxLimit: 500, want: { sinceSeq: 5, beforeSeq: 9, limit: 10 } },
    { query: 'sinceSeq=5&beforeSeq=3', maxLimit: 500, want: { sinceSeq: 5, beforeSeq: 3 } },
    { query: 'limit=500', maxLimit: 500, want: { sinceSeq: 0, limit: 500 } },
    { query: 'limit=1&beforeSeq=1', maxLimit: 500, want: { sinceSeq: 0, beforeSeq: 1, limit: 1 } },
    { query: 'limit=100000', maxLimit: undefined, want: { sinceSeq: 0, limit: 100_000 } },
    { query: 'sinceSeq=9007199254740991&beforeSeq=9007199254740991', maxLimit: 500, want: { sinceSeq: 9007199254740991, beforeSeq: 9007199254740991 } },
  ])('accepts "$query"', ({ query, maxLimit, want }) => {
    expect(parseHistoryQuery(new URLSearchParams(query), maxLimit === undefined ? {} : { maxLimit })).toStrictEqual({ ok: true, query: want });
  });

  it('refuses a nonsensical maxLimit', () => {
    expect(() => parseHistoryQuery(new URLSearchParams(), { maxLimit: 0 })).toThrow(RangeError);
  });
});

describe('matchHistoryPath', () => {
  const template = '/conversations/{conversationId}';
  it.each([
    { pathname: '/conversations/abc', want: { conversationId: 'abc' } },
    { pathname: '/conversations/%61bc', want: { conversationId: 'abc' } },
    { pathname: '/conversations/a%2Fb', want: { conversationId: 'a/b' } },
    { pathname: '/conversations/%2541', want: { conversationId: '%41' } }, // decoded once, not twice
    { pathname: '/conversations/a%20b', want: { conversationId: 'a b' } },
    { pathname: '/conversations/%E0%A4%A', want: undefined }, // malformed escape
    { pathname: '/conversations/%FF', want: undefined }, // not UTF-8
    { pathname: '/conversations/', want: undefined },
    { pathname: '/conversations', want: undefined },
    { pathname: '/conversations/abc/', want: undefined },
    { pathname: '/conversations/abc/metrics', want: undefined },
    { pathname: '/Conversations/abc', want: undefined },
    { pathname: '/other/abc', want: undefined },
  ])('$pathname', ({ pathname, want }) => {
    const got = matchHistoryPath(template, pathname);
    if (want === undefined) expect(got).toBeUndefined();
    else expect({ ...got }).toEqual(want);
  });

  it('matches several parameters', () => {
    expect({ ...matchHistoryPath('/t/{tenant}/c/{id}', '/t/acme/c/42') }).toEqual({ tenant: 'acme', id: '42' });
  });
});

// ---------------------------------------------------------------------------------------------
// Over a real HTTP server

describe('serveHistory over HTTP', () => {
  let server: Server;
  let base: string;
  const reported: unknown[] = [];
  let failure: 'none' | 'throw' | 'reject' = 'none';

  const memory = createMemoryHistoryStore<Chunk>();
  const store: HistoryStore<Chunk> = {
    append: (id, item) => memory.append(id, item),
    read(id, query) {
      if (failure === 'throw') throw new Error('disk on fire at /var/lib/secret');
      if (failure === 'reject') return Promise.reject(new Error('connection refused to redis://secret'));
      return memory.read(id, query);
    },
  };
  const pathParams = [{ name: 'conversationId', pattern: '^[A-Za-z0-9_-]{1,64}$' }];
  const routes: HistoryRoute<Chunk>[] = [
    { name: 'conversationHistory', path: '/conversations/{conversationId}', pathParams, maxLimit: 500, store, onError: (e) => reported.push(e) },
    {
      name: 'broken',
      path: '/broken/{conversationId}',
      pathParams,
      store: { append: () => { throw new Error('no'); }, read: () => { throw new Error('always'); } },
      onError: () => { throw new Error('the logger fails too'); },
    },
  ];

  beforeAll(async () => {
    for (let i = 1; i <= 120; i++) memory.append('long', { role: i % 2 ? 'user' : 'assistant', turn_id: `t-${Math.ceil(i / 2)}`, chunk: { kind: 'text', text: `m${i}` } });
    for (let i = 1; i <= 3; i++) memory.append('short', { role: 'user', chunk: { kind: 'text', text: `s${i}` } });
    memory.create('empty');
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      for (const route of routes) {
        const params = matchHistoryPath(route.path, url.pathname);
        if (params) {
          void serveHistory(route, req, res, url, params);
          return;
        }
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  it.each([
    { path: '/conversations/long?sinceSeq=0&limit=50', seqs: range(71, 120), latestSeq: 120 },
    { path: '/conversations/long?sinceSeq=115', seqs: range(116, 120), latestSeq: 120 },
    { path: '/conversations/long?beforeSeq=71&limit=50', seqs: range(21, 70), latestSeq: 70 },
    { path: '/conversations/long?beforeSeq=21&limit=50', seqs: range(1, 20), latestSeq: 20 },
    { path: '/conversations/long?beforeSeq=1&limit=50', seqs: [], latestSeq: 0 },
    { path: '/conversations/long?sinceSeq=10&beforeSeq=30&limit=5', seqs: range(25, 29), latestSeq: 29 },
    { path: '/conversations/long?sinceSeq=500', seqs: [], latestSeq: 500 },
    { path: '/conversations/long', seqs: range(1, 120), latestSeq: 120 },
    { path: '/conversations/short?sinceSeq=0&limit=50', seqs: [1, 2, 3], latestSeq: 3 },
    { path: '/conversations/empty?sinceSeq=0&limit=50', seqs: [], latestSeq: 0 },
    { path: '/conversations/%6Cong?limit=1', seqs: [120], latestSeq: 120 },
  ])('200 $path', async ({ path, seqs: want, latestSeq }) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body!).sort()).toEqual(['chunks', 'latestSeq']);
    expect((res.body!.chunks as Chunk[]).map((c) => c.seq)).toEqual(want);
    expect(res.body!.latestSeq).toBe(latestSeq);
  });

  it('200 carries the items as stored, seq first', async () => {
    const res = await get('/conversations/long?limit=1');
    expect(res.text).toBe('{"chunks":[{"seq":120,"role":"assistant","turn_id":"t-60","chunk":{"kind":"text","text":"m120"}}],"latestSeq":120}');
  });

  it('HEAD answers the same headers and no body', async () => {
    const head = await get('/conversations/short', { method: 'HEAD' });
    const full = await get('/conversations/short');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(full.text)));
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it.each(badQueries)('400 $name', async ({ query, parameter, maxLimit }) => {
    // The route has maxLimit 500; cases written for another maxLimit do not apply.
    if (maxLimit !== undefined && maxLimit !== 500) return;
    const res = await get(`/conversations/long?${toSearch(query)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ error: expect.any(String), parameter });
  });

  it('400 names limit over the contract maxLimit of 500', async () => {
    const res = await get('/conversations/long?limit=501');
    expect(res.body).toEqual({ error: 'limit must be a positive integer (1..500), got "501"', parameter: 'limit' });
  });

  it('400 is checked before the conversation is looked up', async () => {
    const res = await get('/conversations/unknown?limit=0');
    expect(res.status).toBe(400);
  });

  it.each([
    { path: '/conversations/a%20b', value: 'a b' },
    { path: '/conversations/a%2Fb', value: 'a/b' },
    { path: `/conversations/${'x'.repeat(65)}`, value: `${'x'.repeat(64)}…` }, // echoed cut short
    { path: '/conversations/%C3%A9', value: 'é' },
  ])('400 for a path parameter that breaks its pattern: $path', async ({ path, value }) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: `conversationId must match ^[A-Za-z0-9_-]{1,64}$, got ${JSON.stringify(value)}`, parameter: 'conversationId' });
  });

  it('a path segment that fails decoding does not match the route', async () => {
    const res = await get('/conversations/%E0%A4%A');
    expect(res.status).toBe(404);
    expect(res.text).toBe('');
  });

  it('404 for an unknown conversation', async () => {
    const res = await get('/conversations/nope?sinceSeq=0&limit=50');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'conversation "nope" does not exist' });
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('405 for %s with Allow: GET, HEAD', async (method) => {
    const res = await get('/conversations/long', { method, ...(method === 'DELETE' ? {} : { body: '{}' }) });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.body).toEqual({ error: expect.stringContaining(method) });
  });

  it.each(['throw', 'reject'] as const)('a store that fails (%s) is a 500 without the exception text, and the next request succeeds', async (mode) => {
    reported.length = 0;
    failure = mode;
    try {
      const res = await get('/conversations/long?limit=2');
      expect(res.status).toBe(500);
      expect(res.text).toBe('{"error":"history store failed"}');
      expect(res.text).not.toContain('secret');
      expect(reported).toHaveLength(1);
      expect(String(reported[0])).toContain('secret');
    } finally {
      failure = 'none';
    }
    const next = await get('/conversations/long?limit=2');
    expect(next.status).toBe(200);
    expect((next.body!.chunks as Chunk[]).map((c) => c.seq)).toEqual([119, 120]);
  });

  it('a failing store whose error logger fails too is still a 500, and the server keeps serving', async () => {
    const res = await get('/broken/x');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'history store failed' });
    expect((await get('/conversations/short')).status).toBe(200);
  });
});
