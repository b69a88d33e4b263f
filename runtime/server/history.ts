/**
 * Windowed history read (W1–W6): the `GET /conversations/{conversationId}` contract.
 *
 * A conversation is an append-only log whose items carry a 1-based, gap-free `seq` (W4), so
 * `seq = index + 1` and every window is index arithmetic plus one slice (W6). Three layers:
 * `readWindow` (pure W1/W3 over such an array), `parseHistoryQuery` (pure W2 over a query
 * string) and `serveHistory` (the HTTP answer, node:http types only). Depends on node: builtins
 * and this runtime only.
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HistoryDescriptor } from '../contract.js';
import { clip } from '../frames.js';

/** W4: an item of an append-only log; the store assigns `seq`. */
export interface HistoryItem {
  readonly seq: number;
}

/** W1: a parsed, valid history query. `sinceSeq` defaults to 0 at parse time. */
export interface HistoryWindowQuery {
  /** Exclusive lower bound, `>= 0`. */
  readonly sinceSeq: number;
  /** Exclusive upper bound, `> 0`; omitted = to the end. */
  readonly beforeSeq?: number;
  /** The newest `limit` items of the selection, `> 0`; omitted = the whole selection. */
  readonly limit?: number;
}

/** W1/W3: the window, ascending by seq, and the tail cursor. */
export interface HistoryWindow<T extends HistoryItem> {
  readonly chunks: readonly T[];
  /** W3: the last returned seq, or the requested `sinceSeq` when nothing is returned. A tail cursor only. */
  readonly latestSeq: number;
}

export interface HistoryStore<T extends HistoryItem> {
  /** Appends an item; the store assigns seq = previous + 1 (1-based, gap-free, W4). Returns the stamped item. */
  append(conversationId: string, item: Omit<T, 'seq'>): T | Promise<T>;
  /** W1/W3 window read; undefined when the conversation does not exist. */
  read(conversationId: string, query: HistoryWindowQuery): HistoryWindow<T> | undefined | Promise<HistoryWindow<T> | undefined>;
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/**
 * W1/W3/W6: the window of `query` over a gap-free log where `items[i].seq === i + 1`.
 *
 * Selection `sinceSeq < seq < beforeSeq` is the index range `[sinceSeq, beforeSeq - 1)`; the
 * window is its last `limit` indices. Only the returned items are read, so the cost is O(k),
 * never a scan of the log. Throws a RangeError on an invalid query (parse it with
 * `parseHistoryQuery` first) and an Error when the log turns out not to be gap-free.
 */
export function readWindow<T extends HistoryItem>(items: readonly T[], query: HistoryWindowQuery): HistoryWindow<T> {
  const { sinceSeq, beforeSeq, limit } = query;
  if (!isCount(sinceSeq, 0)) throw new RangeError(`readWindow: sinceSeq must be a non-negative safe integer, got ${String(sinceSeq)}`);
  if (beforeSeq !== undefined && !isCount(beforeSeq, 1)) throw new RangeError(`readWindow: beforeSeq must be a positive safe integer, got ${String(beforeSeq)}`);
  if (limit !== undefined && !isCount(limit, 1)) throw new RangeError(`readWindow: limit must be a positive safe integer, got ${String(limit)}`);

  const n = items.length;
  let from = Math.min(sinceSeq, n); // first index with seq > sinceSeq
  const to = beforeSeq === undefined ? n : Math.min(beforeSeq - 1, n); // first index with seq >= beforeSeq
  if (to <= from) return { chunks: [], latestSeq: sinceSeq };
  if (limit !== undefined && to - from > limit) from = to - limit; // newest `limit` of the selection

  const chunks = items.slice(from, to);
  const first = chunks[0];
  const last = chunks[chunks.length - 1];
  // Two O(1) spot checks: an array that is not `seq = index + 1` would answer the wrong window silently.
  if (first?.seq !== from + 1 || last?.seq !== to) {
    throw new Error(`readWindow: the log is not 1-based and gap-free (index ${from} holds seq ${String(first?.seq)}, index ${to - 1} holds seq ${String(last?.seq)})`);
  }
  return { chunks, latestSeq: last.seq };
}

/** The in-memory store: a `HistoryStore` that answers synchronously, plus `size` and `create`. */
export interface MemoryHistoryStore<T extends HistoryItem> extends HistoryStore<T> {
  append(conversationId: string, item: Omit<T, 'seq'>): T;
  read(conversationId: string, query: HistoryWindowQuery): HistoryWindow<T> | undefined;
  /** Number of items in a conversation (0 when it does not exist). */
  size(conversationId: string): number;
  /** Creates an empty conversation (no-op when it exists), so reads answer 200 instead of 404. */
  create(conversationId: string): void;
}

/**
 * The in-memory store: one array per conversation, `seq = length + 1` on append (W4), reads
 * through `readWindow` (W6). Stored items are frozen shallow copies with `seq` as the first key;
 * appending to an unknown conversation creates it.
 */
export function createMemoryHistoryStore<T extends HistoryItem>(): MemoryHistoryStore<T> {
  const logs = new Map<string, T[]>();
  const logOf = (conversationId: string): T[] => {
    let log = logs.get(conversationId);
    if (!log) {
      log = [];
      logs.set(conversationId, log);
    }
    return log;
  };
  return {
    append(conversationId, item) {
      const log = logOf(conversationId);
      const seq = log.length + 1;
      // `seq` first for readable JSON, then overwritten so a stray `seq` in `item` cannot win.
      const stamped = Object.freeze(Object.assign({ seq }, item, { seq })) as unknown as T;
      log.push(stamped);
      return stamped;
    },
    read(conversationId, query) {
      const log = logs.get(conversationId);
      return log ? readWindow(log, query) : undefined;
    },
    size(conversationId) {
      return logs.get(conversationId)?.length ?? 0;
    },
    create(conversationId) {
      logOf(conversationId);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// W2: query parsing

export type HistoryQueryResult =
  | { readonly ok: true; readonly query: HistoryWindowQuery }
  | { readonly ok: false; readonly parameter: string; readonly error: string };

const QUERY_PARAMETERS = ['sinceSeq', 'beforeSeq', 'limit'] as const;
type QueryParameter = (typeof QUERY_PARAMETERS)[number];

/** Canonical decimal: no sign, no leading zeros, no spaces, fractions, exponents or hex. */
const CANONICAL_INTEGER = /^(0|[1-9][0-9]*)$/;

/** Quotes an untrusted value for an error text, cut short so an answer stays small. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function isQueryParameter(name: string): name is QueryParameter {
  return (QUERY_PARAMETERS as readonly string[]).includes(name);
}

/**
 * W2: parses `sinceSeq`, `beforeSeq` and `limit`, all optional (`sinceSeq` defaults to 0).
 * Each must be a canonical decimal integer no larger than 2^53 - 1; `sinceSeq >= 0`,
 * `beforeSeq >= 1`, `1 <= limit <= maxLimit`. A repeated or unknown parameter is an error too,
 * so a typo like `limt` cannot silently return the whole log. The first error wins; its text
 * names the parameter, what it got and what is allowed.
 */
export function parseHistoryQuery(params: URLSearchParams, options: { readonly maxLimit?: number }): HistoryQueryResult {
  const { maxLimit } = options;
  if (maxLimit !== undefined && !isCount(maxLimit, 1)) {
    throw new RangeError(`parseHistoryQuery: maxLimit must be a positive safe integer, got ${String(maxLimit)}`);
  }

  const seen = new Map<QueryParameter, string[]>();
  for (const [name, value] of params) {
    if (!isQueryParameter(name)) {
      // The name is the client's text: echoed cut short, like every value (L2).
      return { ok: false, parameter: clip(name), error: `unknown query parameter ${quote(name)}; the allowed parameters are ${QUERY_PARAMETERS.join(', ')}` };
    }
    const values = seen.get(name);
    if (values) {
      values.push(value);
      return { ok: false, parameter: name, error: `${name} must be given at most once, got ${values.length} values (${values.map(quote).join(', ')})` };
    }
    seen.set(name, [value]);
  }

  const bounds: Readonly<Record<QueryParameter, { readonly min: number; readonly max: number; readonly kind: string }>> = {
    sinceSeq: { min: 0, max: MAX_SEQ, kind: 'a non-negative integer' },
    beforeSeq: { min: 1, max: MAX_SEQ, kind: 'a positive integer' },
    limit: { min: 1, max: maxLimit ?? MAX_SEQ, kind: 'a positive integer' },
  };
  const parsed: Partial<Record<QueryParameter, number>> = {};
  for (const name of QUERY_PARAMETERS) {
    const raw = seen.get(name)?.[0];
    if (raw === undefined) continue;
    const { min, max, kind } = bounds[name];
    // 2^53 - 1 has 16 digits; the length check keeps Number() away from absurdly long inputs.
    const value = CANONICAL_INTEGER.test(raw) && raw.length <= 16 ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max)) {
      return { ok: false, parameter: name, error: `${name} must be ${kind} (${min}..${max}), got ${quote(raw)}` };
    }
    parsed[name] = value;
  }

  const query: { sinceSeq: number; beforeSeq?: number; limit?: number } = { sinceSeq: parsed.sinceSeq ?? 0 };
  if (parsed.beforeSeq !== undefined) query.beforeSeq = parsed.beforeSeq;
  if (parsed.limit !== undefined) query.limit = parsed.limit;
  return { ok: true, query };
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A history endpoint of the contract (its `HistoryDescriptor`) bound to a store. */
export interface HistoryRoute<T extends HistoryItem> extends HistoryDescriptor {
  readonly store: HistoryStore<T>;
  /** Told about failures answered with 500 (a store that throws); the client never sees the text. */
  readonly onError?: (error: unknown) => void;
  /**
   * A1/A2: whether the caller may read the log these path parameters name, asked after they are
   * valid and before the store is. `false` is answered like a log that does not exist (404, no
   * oracle); a refusal with its status (401 / 403) and code.
   */
  readonly authorize?: ((params: Readonly<Record<string, string>>) => Promise<boolean | HistoryRefusal>) | undefined;
}

/** A3: a refused history read. */
export interface HistoryRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Matches a path template such as `/conversations/{conversationId}` against a URL pathname.
 * A `{name}` must be a whole segment; its value is percent-decoded once and must not be
 * empty. Literal segments compare exactly. A segment that fails decoding does not match.
 */
export function matchHistoryPath(template: string, pathname: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    const name = /^\{([^{}/]+)\}$/.exec(w)?.[1];
    if (name === undefined) {
      if (w !== g) return undefined;
      continue;
    }
    if (g === '') return undefined;
    try {
      params[name] = decodeURIComponent(g);
    } catch {
      return undefined; // malformed escape, e.g. `%E0%A4%A`
    }
  }
  return params;
}

const patternCache = new Map<string, RegExp>();

/** JSON Schema `pattern`: an ECMA-262 regex, unanchored unless it says so, Unicode-aware (as Ajv). */
function compiledPattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

/** Writes a JSON answer with one `res.end(body)`. HEAD gets the same headers; Node drops the body. */
function sendJson(res: ServerResponse, status: number, value: unknown, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...extraHeaders,
  });
  res.end(body);
}

function report(route: { readonly onError?: (error: unknown) => void }, error: unknown): void {
  try {
    route.onError?.(error);
  } catch {
    // A failing logger must not turn one failed request into a crashed server.
  }
}

/**
 * Answers one history request (W1–W3). `params` are the path parameters from
 * `matchHistoryPath(route.path, url.pathname)`; the store key is the declared path parameters'
 * values joined by `/` (the conversation id when there is one). Never rejects: a failing store
 * is a 500 `{ "error": "history store failed" }` and the error goes to `route.onError` only.
 *
 * - 405 for anything but GET/HEAD, with `Allow: GET, HEAD`;
 * - 400 `{ error, parameter }` for a path parameter that breaks its pattern or a bad query (W2);
 * - 404 `{ error }` for an unknown conversation;
 * - 200 `{ chunks, latestSeq }`, `Cache-Control: no-store`.
 */
export async function serveHistory<T extends HistoryItem>(
  route: HistoryRoute<T>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  params: Record<string, string>,
): Promise<void> {
  try {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { error: `method ${quote(method)} is not allowed here; use GET or HEAD` }, { Allow: 'GET, HEAD' });
      return;
    }

    const keyParts: string[] = [];
    for (const { name, pattern } of route.pathParams) {
      const value = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
      if (value === undefined || value === '') {
        sendJson(res, 400, { error: `path parameter ${name} is required, got nothing`, parameter: name });
        return;
      }
      if (pattern !== undefined && !compiledPattern(pattern).test(value)) {
        sendJson(res, 400, { error: `${name} must match ${pattern}, got ${quote(value)}`, parameter: name });
        return;
      }
      keyParts.push(value);
    }

    const parsed = parseHistoryQuery(url.searchParams, route.maxLimit === undefined ? {} : { maxLimit: route.maxLimit });
    if (!parsed.ok) {
      sendJson(res, 400, { error: parsed.error, parameter: parsed.parameter });
      return;
    }

    const conversationId = keyParts.join('/');
    const allowed = route.authorize ? await route.authorize(params) : true;
    if (allowed !== true && allowed !== false) {
      sendJson(res, allowed.status, { error: allowed.message, code: allowed.code });
      return;
    }
    const window = allowed ? await route.store.read(conversationId, parsed.query) : undefined;
    if (window === undefined) {
      sendJson(res, 404, { error: `conversation ${quote(conversationId)} does not exist` });
      return;
    }
    sendJson(res, 200, { chunks: window.chunks, latestSeq: window.latestSeq });
  } catch (error) {
    report(route, error);
    sendJson(res, 500, { error: 'history store failed' });
  }
}
