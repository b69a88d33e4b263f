/**
 * W3–W5, the client's side of windowed history: a fresh load of the newest window
 * (`?sinceSeq=0&limit=k`), a tail sync that never moves the cursor back (`?sinceSeq=cursor`, no
 * limit), and `showEarlier()` backfill (`?beforeSeq=oldest&limit=k`), with `hasEarlier` derived
 * from 1-based gap-free seqs (oldest loaded seq > 1) — there is no has-older field to trust.
 */
import type { HistoryDescriptor } from '../contract.js';
import { describeIssues, type Validator } from '../validation.js';

export interface HistoryItemLike {
  readonly seq: number;
}

/** A 4xx/5xx answer of the history endpoint, with the parameter it names (W2). */
export class HistoryRequestError extends Error {
  readonly status: number;
  readonly parameter: string | undefined;
  constructor(status: number, message: string, parameter?: string) {
    super(message);
    this.name = 'HistoryRequestError';
    this.status = status;
    this.parameter = parameter;
  }
}

export interface HistoryPage<T> {
  readonly chunks: readonly T[];
  readonly latestSeq: number;
}

export interface HistoryView<T extends HistoryItemLike> {
  /** Loaded items, ascending and contiguous. */
  readonly items: readonly T[];
  /** W3: the tail cursor — the newest seq loaded; only ever moves forward. */
  readonly cursor: number;
  /** W4: older items exist on the server exactly when the oldest loaded seq is above 1. */
  readonly hasEarlier: boolean;
  /** W5: fresh load of the newest `pageSize` items. */
  load(): Promise<readonly T[]>;
  /** W5: everything after the cursor (no limit: a windowed tail would leave a silent gap). */
  sync(): Promise<readonly T[]>;
  /** W5: the `pageSize` items before the oldest loaded one; prepends them and returns them. */
  showEarlier(): Promise<readonly T[]>;
}

export interface HistoryClientOptions<T> {
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  readonly endpoint: HistoryDescriptor;
  /** Validates each response (validators.ts) so a broken server is caught at the edge. */
  readonly validateResponse: Validator<HistoryPage<T>>;
  /** Extra request headers (e.g. authorization). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** One GET of the endpoint with path parameters and a query. */
export async function fetchHistoryPage<T>(options: HistoryClientOptions<T>, params: Readonly<Record<string, string>>, query: { sinceSeq?: number; beforeSeq?: number; limit?: number }): Promise<HistoryPage<T>> {
  const path = options.endpoint.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`history ${options.endpoint.name}: missing path parameter "${name}"`);
    return encodeURIComponent(value);
  });
  const url = new URL(options.baseUrl.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const res = await options.fetch(url.toString(), { headers: { accept: 'application/json', ...options.headers } });
  const body = (await res.json().catch(() => undefined)) as { error?: string; parameter?: string } | undefined;
  if (!res.ok) throw new HistoryRequestError(res.status, body?.error ?? `history request failed with HTTP ${res.status}`, body?.parameter);
  const result = options.validateResponse(body);
  if (!result.ok) throw new HistoryRequestError(res.status, `the server sent an invalid history page: ${describeIssues(result)}`);
  return result.value;
}

export function createHistoryView<T extends HistoryItemLike>(options: HistoryClientOptions<T>, params: Readonly<Record<string, string>>, pageSize: number): HistoryView<T> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
  const limit = options.endpoint.maxLimit !== undefined ? Math.min(pageSize, options.endpoint.maxLimit) : pageSize;
  let items: T[] = [];
  let cursor = 0;

  /** Adds items after the cursor, dropping any already held (a page may overlap the tail). */
  const append = (chunks: readonly T[]): T[] => {
    const fresh = chunks.filter((c) => c.seq > cursor);
    items = items.concat(fresh);
    if (fresh.length > 0) cursor = fresh[fresh.length - 1]!.seq;
    return fresh;
  };

  return {
    get items() {
      return items;
    },
    get cursor() {
      return cursor;
    },
    get hasEarlier() {
      return items.length > 0 ? items[0]!.seq > 1 : false;
    },
    async load() {
      const page = await fetchHistoryPage(options, params, { sinceSeq: 0, limit });
      items = [...page.chunks];
      // latestSeq is a tail cursor; never let a reload move it backwards (W3).
      cursor = Math.max(cursor, page.chunks.length > 0 ? page.chunks[page.chunks.length - 1]!.seq : page.latestSeq);
      return items;
    },
    async sync() {
      const page = await fetchHistoryPage(options, params, { sinceSeq: cursor });
      return append(page.chunks);
    },
    async showEarlier() {
      const oldest = items[0]?.seq;
      if (oldest === undefined || oldest <= 1) return [];
      const page = await fetchHistoryPage(options, params, { beforeSeq: oldest, limit });
      // A backfill page never touches the tail cursor (W3); keep only what is older than we hold.
      const older = page.chunks.filter((c) => c.seq < oldest);
      items = [...older, ...items];
      return older;
    },
  };
}
