/**
 * W1–W5: the windowed history reads of x-contract.conformance.history (wire.md §10): the window,
 * the selection, empty selections, every bad parameter answered 400 { error, parameter }, a bad
 * path parameter, an unknown conversation, a wrong method, latestSeq, paging and tail sync.
 */
import { fail, range, sameList, seqRange } from '../context.js';
import type { HistoryAnswer, HistoryContext } from '../history-context.js';
import { clip } from '../link.js';
import { historyCheck, type HistoryCheck } from './check.js';

function seqsOf(a: HistoryAnswer, want: readonly number[], what: string): void {
  if (!sameList(a.seqs, want)) fail(`${a.url} → seqs ${seqRange(a.seqs)}; expected ${seqRange(want)} (${what})`);
}

/** W2.1: one bad query, and the parameter its 400 must name. */
interface BadParameter {
  readonly id: string;
  readonly query: (ctx: HistoryContext) => string;
  readonly parameter: string;
  readonly what: string;
  readonly when?: (ctx: HistoryContext) => boolean;
}

const BAD_PARAMETERS: readonly BadParameter[] = [
  { id: 'limit-zero', query: () => 'limit=0', parameter: 'limit', what: 'limit=0' },
  { id: 'limit-negative', query: () => 'limit=-1', parameter: 'limit', what: 'limit=-1' },
  { id: 'limit-malformed', query: () => 'limit=abc', parameter: 'limit', what: 'limit=abc' },
  { id: 'limit-empty', query: () => 'limit=', parameter: 'limit', what: 'an empty limit=' },
  { id: 'limit-leading-zero', query: () => 'limit=05', parameter: 'limit', what: 'limit=05 (a leading zero)' },
  { id: 'limit-plus', query: () => 'limit=%2B5', parameter: 'limit', what: 'limit=+5 (a sign)' },
  { id: 'limit-fraction', query: () => 'limit=1.5', parameter: 'limit', what: 'limit=1.5' },
  { id: 'limit-above-max', query: (ctx) => `limit=${ctx.endpoint.maxLimit! + 1}`, parameter: 'limit', what: 'limit above maxLimit', when: (ctx) => ctx.endpoint.maxLimit !== undefined },
  { id: 'before-zero', query: () => 'beforeSeq=0', parameter: 'beforeSeq', what: 'beforeSeq=0' },
  { id: 'before-too-large', query: () => 'beforeSeq=9007199254740992', parameter: 'beforeSeq', what: 'beforeSeq=2^53' },
  { id: 'since-negative', query: () => 'sinceSeq=-1', parameter: 'sinceSeq', what: 'sinceSeq=-1' },
  { id: 'since-exponent', query: () => 'sinceSeq=1e3', parameter: 'sinceSeq', what: 'sinceSeq=1e3' },
  { id: 'repeated-parameter', query: () => 'limit=5&limit=6', parameter: 'limit', what: 'a repeated parameter (limit=5&limit=6)' },
  { id: 'unknown-parameter', query: () => 'limt=5', parameter: 'limt', what: 'an unknown parameter (limt=5)', when: (ctx) => ctx.spec.closedQuery(ctx.endpoint) },
];

export const historyChecks: readonly HistoryCheck[] = [
  historyCheck({
    id: 'history-whole-log',
    statement: 'W4.1',
    sentence: 'A read without limit returns the whole log: at least minItems items whose seqs run 1..n, ascending and gap-free.',
    async run(ctx) {
      const a = await ctx.log();
      const n = a.seqs.length;
      seqsOf(a, range(1, n), 'seq = index + 1');
      if (n < ctx.entry.minItems) fail(`${a.url} → ${n} items; x-contract.conformance.history promises at least ${ctx.entry.minItems}: seed the log before probing`);
      return `${a.query} → ${n} items, seqs 1..${n}`;
    },
  }),
  historyCheck({
    id: 'history-newest-window',
    statement: 'W1.1',
    sentence: 'limit=k returns the newest k items of the selection, in ascending order (also as the fresh load sinceSeq=0&limit=k).',
    async run(ctx) {
      const n = await ctx.size();
      const k = ctx.pageSize(n);
      seqsOf(await ctx.ok(`limit=${k}`), range(n - k + 1, n), `the newest ${k}, ascending`);
      seqsOf(await ctx.ok(`sinceSeq=0&limit=${k}`), range(n - k + 1, n), `the newest ${k}, ascending`);
      return `?limit=${k} → ${n - k + 1}..${n}`;
    },
  }),
  historyCheck({
    id: 'history-selection',
    statement: 'W1.2',
    sentence: 'The selection sinceSeq < seq < beforeSeq comes back whole when it has no more than limit items, else as its newest limit items.',
    async run(ctx) {
      const n = await ctx.size();
      seqsOf(await ctx.ok(`sinceSeq=${n - 3}&limit=10`), range(n - 2, n), 'three items under a limit of 10: all of them');
      const since = Math.floor(n / 3);
      const before = since + 8;
      seqsOf(await ctx.ok(`sinceSeq=${since}&beforeSeq=${before}`), range(since + 1, before - 1), 'the whole selection');
      seqsOf(await ctx.ok(`sinceSeq=${since}&beforeSeq=${before}&limit=3`), range(before - 3, before - 1), 'the newest 3 of the selection');
      return `${n - 2}..${n} whole; ${since}<seq<${before} → ${since + 1}..${before - 1}, limit 3 → ${before - 3}..${before - 1}`;
    },
  }),
  historyCheck({
    id: 'history-empty-selection',
    statement: 'W1.3',
    sentence: 'An empty selection (sinceSeq >= beforeSeq - 1, or nothing after sinceSeq) is 200 with no chunks and latestSeq = sinceSeq.',
    async run(ctx) {
      const n = await ctx.size();
      const cases: [string, number][] = [
        ['sinceSeq=10&beforeSeq=5', 10],
        ['sinceSeq=10&beforeSeq=11', 10],
        [`sinceSeq=${n + 3}`, n + 3],
      ];
      for (const [query, latest] of cases) {
        const a = await ctx.ok(query);
        if (a.seqs.length !== 0 || a.latestSeq !== latest) fail(`${a.url} → ${a.seqs.length} items, latestSeq ${JSON.stringify(a.latestSeq)}; expected none and latestSeq ${latest}`);
      }
      return cases.map(([q]) => `${q} → []`).join('; ');
    },
  }),
  historyCheck({
    id: 'history-paging',
    statement: 'W5.1',
    sentence: 'Paging older with beforeSeq=<oldest loaded>&limit=k walks back to seq 1: pages ascending, contiguous, never overlapping.',
    async run(ctx) {
      const n = await ctx.size();
      const k = ctx.pageSize(n);
      let page = await ctx.ok(`sinceSeq=0&limit=${k}`);
      const pages = [page];
      while (pages.length <= Math.ceil(n / k) + 1) {
        const oldest = page.seqs[0];
        if (oldest === undefined || oldest <= 1) break; // W4: older items exist exactly when oldest > 1
        const next = await ctx.ok(`beforeSeq=${oldest}&limit=${k}`);
        seqsOf(next, range(Math.max(1, oldest - k), oldest - 1), `the page before ${oldest}`);
        page = next;
        pages.push(page);
      }
      const all = pages.reverse().flatMap((p) => p.seqs);
      if (!sameList(all, range(1, n))) fail(`${pages.length} pages of ${k} gave ${seqRange(all)}; expected 1..${n}`);
      return `${pages.length} pages of ≤ ${k}, ${n} back to 1, contiguous`;
    },
  }),
  historyCheck({
    id: 'history-tail-sync',
    statement: 'W5.2',
    sentence: 'A tail sync sinceSeq=<cursor> returns exactly cursor + 1..n.',
    async run(ctx) {
      const n = await ctx.size();
      const cursor = n - 7;
      seqsOf(await ctx.ok(`sinceSeq=${cursor}`), range(cursor + 1, n), 'the tail after the cursor');
      return `sinceSeq=${cursor} → ${cursor + 1}..${n}`;
    },
  }),
  historyCheck({
    id: 'history-latest-seq',
    statement: 'W3.1',
    sentence: 'latestSeq is the last returned seq, or the requested sinceSeq when nothing is returned; a backfill page’s latestSeq is its own last seq.',
    async run(ctx) {
      const n = await ctx.size();
      const k = ctx.pageSize(n);
      const cases: [string, number, number][] = [
        ['sinceSeq=0', n, n],
        [`beforeSeq=${k + 1}&limit=${k}`, k, k],
        [`sinceSeq=${n}`, n, 0],
        [`sinceSeq=${n + 5}`, n + 5, 0],
      ];
      for (const [query, latest, items] of cases) {
        const a = await ctx.ok(query);
        if (a.latestSeq !== latest || a.seqs.length !== items) fail(`${a.url} → ${a.seqs.length} items, latestSeq ${JSON.stringify(a.latestSeq)}; expected ${items} items, latestSeq ${latest}`);
      }
      return cases.map(([q, latest]) => `${q} → ${latest}`).join('; ');
    },
  }),
  ...BAD_PARAMETERS.map((b) =>
    historyCheck({
      id: `history-400-${b.id}`,
      statement: 'W2.1',
      sentence: `${b.what[0]!.toUpperCase()}${b.what.slice(1)} is answered with HTTP 400 { "error", "parameter": "${b.parameter}" }.`,
      ...(b.when ? { when: b.when } : {}),
      async run(ctx) {
        const a = await ctx.get(b.query(ctx));
        const body = a.body as { error?: unknown; parameter?: unknown } | null;
        if (a.status !== 400) fail(`${a.query} → HTTP ${a.status}${a.status === 200 ? ` with ${a.seqs.length} items` : ''}; expected 400 naming ${b.parameter}`);
        if (typeof body?.error !== 'string') fail(`${a.query} → 400 without { "error": "…" }: ${clip(JSON.stringify(a.body) ?? '')}`);
        if (body.parameter !== b.parameter) fail(`${a.query} → 400 with parameter ${JSON.stringify(body.parameter)}; expected "${b.parameter}" (error "${clip(body.error, 80)}")`);
        return `${a.query} → 400 parameter ${b.parameter}`;
      },
    }),
  ),
  historyCheck({
    id: 'history-400-path-parameter',
    statement: 'W2.2',
    sentence: 'A path parameter that breaks its pattern is answered 400 { "error", "parameter": "<its name>" }.',
    when: (ctx) => ctx.endpoint.pathParams.some((p) => p.pattern !== undefined),
    async run(ctx) {
      const param = ctx.endpoint.pathParams.find((p) => p.pattern !== undefined)!;
      const a = await ctx.raw('GET', ctx.pathWith(param.name, 'not valid!'), '');
      const body = a.body as { error?: unknown; parameter?: unknown } | null;
      if (a.status !== 400 || typeof body?.error !== 'string' || body.parameter !== param.name) fail(`${a.url} → HTTP ${a.status} ${clip(JSON.stringify(a.body) ?? '')}; expected 400 { "error", "parameter": "${param.name}" }`);
      return `${param.name} "not valid!" → 400 parameter ${param.name}`;
    },
  }),
  historyCheck({
    id: 'history-404',
    statement: 'W2.3',
    sentence: 'A conversation that does not exist is answered 404 { "error" } without a parameter.',
    async run(ctx) {
      const param = ctx.endpoint.pathParams[0];
      if (!param) fail('the endpoint has no path parameter to name a missing log with');
      const a = await ctx.raw('GET', ctx.pathWith(param.name, 'probe-no-such-log-7d1c'), '');
      const body = a.body as { error?: unknown; parameter?: unknown } | null;
      if (a.status !== 404 || typeof body?.error !== 'string' || 'parameter' in (body ?? {})) fail(`${a.url} → HTTP ${a.status} ${clip(JSON.stringify(a.body) ?? '')}; expected 404 { "error": "…" }`);
      return `${a.url} → 404 { error }`;
    },
  }),
  historyCheck({
    id: 'history-405',
    statement: 'W2.4',
    sentence: 'Any method but GET and HEAD is answered 405 with Allow: GET, HEAD.',
    async run(ctx) {
      const a = await ctx.raw('POST', ctx.path, '');
      const allow = a.headers?.get('allow') ?? '';
      if (a.status !== 405 || !allow.includes('GET') || !allow.includes('HEAD')) fail(`POST ${ctx.path} → HTTP ${a.status}, Allow ${JSON.stringify(allow)}; expected 405 with Allow: GET, HEAD`);
      return `POST → 405, Allow: ${allow}`;
    },
  }),
  historyCheck({
    id: 'history-answers-valid',
    statement: 'W1.4',
    sentence: 'Every 200 history answer is JSON (Content-Type) and validates against the spec’s response schema.',
    async run(ctx) {
      if (ctx.violations.length > 0) fail(`${ctx.violations.length} invalid answer(s), e.g. ${ctx.violations.slice(0, 2).join(' | ')}`);
      if (ctx.answered === 0) fail(`no history read was answered with 200`);
      return `${ctx.answered} answers, all valid`;
    },
  }),
];
