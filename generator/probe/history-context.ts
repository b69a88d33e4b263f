/**
 * Probe stage 3 — the history context: the reads a history check makes against one log of
 * x-contract.conformance.history (W1–W5), each answer validated against the spec's response
 * schema as it arrives, with the evidence a failure names.
 */
import type { HistoryEndpointModel } from '../model.js';
import { fail } from './context.js';
import { clip, urlFor } from './link.js';
import type { ProbeSpec } from './spec.js';

export interface HistoryAnswer {
  /** `GET /path?query`, for failures. */
  readonly url: string;
  /** `?query`, for short evidence. */
  readonly query: string;
  readonly status: number;
  readonly body: unknown;
  /** `chunks[].seq` of a 200 answer. */
  readonly seqs: readonly (number | undefined)[];
  readonly latestSeq: unknown;
  readonly headers?: Headers;
}

export class HistoryContext {
  readonly violations: string[] = [];
  /** How many reads were answered with 200 (and validated). */
  answered = 0;
  private whole: Promise<HistoryAnswer> | undefined;

  constructor(
    readonly spec: ProbeSpec,
    readonly endpoint: HistoryEndpointModel,
    readonly entry: { readonly endpoint: string; readonly params: Readonly<Record<string, string>>; readonly minItems: number },
    private readonly base: URL,
    readonly timeoutMs: number,
    /** A1: the application's credentials (`--header`). */
    private readonly credentials: Readonly<Record<string, string>> = {},
  ) {}

  /** The endpoint's path with the conformance params filled in. */
  get path(): string {
    return this.pathWith();
  }

  /** The endpoint's path with the conformance params, and `value` for path parameter `name`. */
  pathWith(name?: string, value?: string): string {
    return this.endpoint.path.replace(/\{([^}]+)\}/g, (_, p: string) => encodeURIComponent((p === name ? value : this.entry.params[p]) ?? ''));
  }

  /** GET with a raw query string (`limit=0&sinceSeq=1`); 200 answers are validated. */
  get(query: string): Promise<HistoryAnswer> {
    return this.raw('GET', this.path, query);
  }

  /** Any request to `path` with a raw query string; 200 answers are validated. */
  async raw(method: string, path: string, query: string): Promise<HistoryAnswer> {
    const url = urlFor(this.base, path);
    url.search = query;
    const shown = `${method} ${path}${query ? `?${query}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers: this.credentials, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      fail(`${shown}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* kept as text */
    }
    const chunks = (body as { chunks?: unknown } | null)?.chunks;
    const seqs = Array.isArray(chunks) ? chunks.map((c) => (typeof (c as { seq?: unknown } | null)?.seq === 'number' ? ((c as { seq: number }).seq) : undefined)) : [];
    if (res.status === 200 && method === 'GET') {
      this.answered++;
      const why = this.spec.invalidHistory(this.endpoint, body);
      if (why) this.violations.push(`${shown}: ${why}`);
      const type = res.headers.get('content-type') ?? '';
      if (!/^application\/json\b/.test(type)) this.violations.push(`${shown}: Content-Type ${JSON.stringify(type)} is not application/json`);
    }
    return { url: shown, query: `?${query}`, status: res.status, body, seqs, latestSeq: (body as { latestSeq?: unknown } | null)?.latestSeq, headers: res.headers };
  }

  /** A 200 answer or a failure naming what came instead. */
  async ok(query: string): Promise<HistoryAnswer> {
    const a = await this.get(query);
    if (a.status !== 200 || !Array.isArray((a.body as { chunks?: unknown } | null)?.chunks)) fail(`${a.url} → HTTP ${a.status} ${clip(JSON.stringify(a.body) ?? '')}`);
    return a;
  }

  /** The whole log (read once): `?sinceSeq=0` without a limit. */
  log(): Promise<HistoryAnswer> {
    this.whole ??= this.ok('sinceSeq=0');
    return this.whole;
  }

  /** The log size the other checks work with (at least 10, as the vocabulary asks). */
  async size(): Promise<number> {
    const n = (await this.log()).seqs.length;
    if (n < 10) fail(`${this.path} holds ${n} items; the history checks need the log x-contract.conformance.history promises (at least ${this.entry.minItems})`);
    return n;
  }

  /** A page size that does not divide the log, so the last page is a short one (W5). */
  pageSize(n: number): number {
    const k = Math.floor(n / 4) + 1;
    return Math.max(2, Math.min(k, this.endpoint.maxLimit ?? k));
  }
}
