/**
 * Section 6: a window read (limit 50) through the runtime's in-memory history store next to a
 * linear filter of the same array, on one log of `size` items. In-process (no I/O involved).
 */
import { createMemoryHistoryStore, type HistoryItem, type HistoryWindowQuery } from '../../runtime/server/history.js';
import { median } from './common.js';

interface Item extends HistoryItem {
  readonly role: 'user' | 'assistant';
  readonly chunk: { readonly kind: 'text'; readonly text: string };
}

export interface HistoryShapeResult {
  readonly shape: string;
  /** Median ns per window read. */
  readonly windowNs: number;
  /** Median ns per linear filter. */
  readonly filterNs: number;
  readonly windowReads: number;
  readonly filterReads: number;
}

export interface HistoryResult {
  readonly size: number;
  readonly buildMs: number;
  readonly shapes: readonly HistoryShapeResult[];
}

const LIMIT = 50;

let sink = 0; // results feed this so no read is optimized away

function linear(items: readonly Item[], since: number, before: number): Item[] {
  return items.filter((i) => i.seq > since && i.seq < before).slice(-LIMIT);
}

export function benchHistory(size: number, opts: { readonly batch: number; readonly samples: number; readonly filterRuns: number }): HistoryResult {
  const store = createMemoryHistoryStore<Item>();
  const chunk = Object.freeze({ kind: 'text' as const, text: 'a streamed chunk of an agent answer' });
  const items: Item[] = [];
  const t = performance.now();
  for (let i = 0; i < size; i++) items.push(store.append('c-1', { role: i % 2 ? 'assistant' : 'user', chunk }));
  const buildMs = performance.now() - t;

  // Backfill pages at pseudo-random places (a fixed LCG: the same pages every run).
  let x = 12345;
  const befores = Array.from({ length: 1024 }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return LIMIT + 1 + (x % (size - LIMIT));
  });
  const shapes: { shape: string; query: (k: number) => HistoryWindowQuery; bounds: (k: number) => [number, number] }[] = [
    { shape: 'newest 50 (?sinceSeq=0&limit=50)', query: () => ({ sinceSeq: 0, limit: LIMIT }), bounds: () => [0, Number.POSITIVE_INFINITY] },
    {
      shape: 'older page (?beforeSeq=b&limit=50, b random)',
      query: (k) => ({ sinceSeq: 0, beforeSeq: befores[k & 1023]!, limit: LIMIT }),
      bounds: (k) => [0, befores[k & 1023]!],
    },
  ];

  const results: HistoryShapeResult[] = [];
  for (const s of shapes) {
    // Same answer both ways (a benchmark of a wrong read is worthless).
    for (const k of [0, 1, 2, 777]) {
      const a = store.read('c-1', s.query(k))!.chunks.map((i) => i.seq);
      const [since, before] = s.bounds(k);
      const b = linear(items, since, before).map((i) => i.seq);
      if (a.length !== LIMIT || a.join() !== b.join()) throw new Error(`history: window and filter disagree for ${s.shape} (k=${k})`);
    }
    // Window reads: timed in batches (one read is well under a microsecond), median per read.
    const windowSamples: number[] = [];
    let k = 0;
    for (let i = 0; i < 20; i++) sink += store.read('c-1', s.query(k++))!.latestSeq; // warm-up
    for (let sample = 0; sample < opts.samples; sample++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < opts.batch; i++) sink += store.read('c-1', s.query(k++))!.chunks.length;
      windowSamples.push(Number(process.hrtime.bigint() - t0) / opts.batch);
    }
    // Linear filters: each timed on its own.
    const filterSamples: number[] = [];
    sink += linear(items, ...s.bounds(0)).length; // warm-up
    for (let run = 0; run < opts.filterRuns; run++) {
      const [since, before] = s.bounds(k++);
      const t0 = process.hrtime.bigint();
      sink += linear(items, since, before).length;
      filterSamples.push(Number(process.hrtime.bigint() - t0));
    }
    results.push({ shape: s.shape, windowNs: median(windowSamples), filterNs: median(filterSamples), windowReads: opts.batch * opts.samples, filterReads: opts.filterRuns });
  }
  if (sink === -1) console.log(sink);
  return { size, buildMs, shapes: results };
}
