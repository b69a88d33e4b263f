/**
 * Rules about windowed history endpoints (W1–W4): the three query parameters with their bounds,
 * the response shape, a 1-based item seq, and a bounded limit.
 */
import { getAt, isSchemaObject, propertySchema, requiresProperty, type Schema } from '../schema-walk.js';
import type { HistoryBlock, LintRule, RuleContext, RuleHit } from './rule.js';

function target(ctx: RuleContext, ref: string): { schema: Schema; pointer: string } | undefined {
  const s = getAt(ctx.root, ref);
  return isSchemaObject(s) ? { schema: s, pointer: ref.slice(1) } : undefined;
}

function endpoints(ctx: RuleContext): { h: HistoryBlock; pointer: string }[] {
  return (ctx.contract.history ?? []).map((h, i) => ({ h, pointer: `/x-contract/history/${i}` }));
}

/** Lower bound of an integer schema (minimum or exclusiveMinimum + 1). */
function lowerBound(s: Schema): number | undefined {
  if (typeof s.minimum === 'number') return s.minimum;
  if (typeof s.exclusiveMinimum === 'number') return Math.floor(s.exclusiveMinimum) + 1;
  return undefined;
}

const PARAMS: { name: string; min: number; text: string }[] = [
  { name: 'sinceSeq', min: 0, text: 'exclusive lower bound, >= 0' },
  { name: 'beforeSeq', min: 1, text: 'exclusive upper bound, > 0' },
  { name: 'limit', min: 1, text: 'newest-k window size, > 0' },
];

export const historyRules: LintRule[] = [
  {
    id: 'history-refs',
    sentence: 'A history endpoint names a query, response and item schema that exist under $defs.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const { h, pointer } of endpoints(ctx)) {
        for (const key of ['query', 'response', 'item'] as const) {
          if (!target(ctx, h[key].$ref)) hits.push({ pointer: `${pointer}/${key}/$ref`, message: `${h.name}.${key} points at ${h[key].$ref}, which does not exist`, hint: 'point at a schema under #/$defs' });
        }
      }
      const names = new Set<string>();
      for (const { h, pointer } of endpoints(ctx)) {
        if (names.has(h.name)) hits.push({ pointer: `${pointer}/name`, message: `two history endpoints are named ${h.name}`, hint: 'give each endpoint its own name' });
        names.add(h.name);
        const inPath = [...h.path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!);
        const declared = Object.keys(h.pathParams ?? {});
        for (const p of inPath) if (!declared.includes(p)) hits.push({ pointer: `${pointer}/pathParams`, message: `path parameter {${p}} of ${h.path} has no schema in pathParams`, hint: `add "pathParams": { "${p}": { … } }` });
        for (const p of declared) if (!inPath.includes(p)) hits.push({ pointer: `${pointer}/pathParams/${p}`, message: `pathParams.${p} does not appear in ${h.path}`, hint: `add {${p}} to the path or remove the parameter` });
      }
      return hits;
    },
  },
  {
    id: 'history-query-params',
    rule: 'W1',
    sentence: 'A history query declares optional integer sinceSeq (>= 0), beforeSeq (> 0) and limit (> 0), and nothing is required.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const { h } of endpoints(ctx)) {
        const q = target(ctx, h.query.$ref);
        if (!q) continue;
        for (const p of PARAMS) {
          const s = propertySchema(ctx.root, q.schema, q.pointer, p.name);
          if (!s) {
            hits.push({ pointer: `${q.pointer}/properties`, message: `${h.name}: the history query has no "${p.name}" parameter (${p.text})`, hint: `declare "${p.name}": { "type": "integer", "minimum": ${p.min} }` });
            continue;
          }
          if (s.schema.type !== 'integer' || lowerBound(s.schema) !== p.min) {
            hits.push({ pointer: s.pointer, message: `${h.name}: ${p.name} must be an integer with minimum ${p.min} (${p.text})`, hint: `declare "${p.name}": { "type": "integer", "minimum": ${p.min} }` });
          }
          if (requiresProperty(ctx.root, q.schema, q.pointer, p.name)) {
            hits.push({ pointer: `${q.pointer}/required`, message: `${h.name}: ${p.name} is required, but every history parameter is optional (W1)`, hint: `remove "${p.name}" from required` });
          }
        }
      }
      return hits;
    },
  },
  {
    id: 'history-response-shape',
    rule: 'W3',
    sentence: 'A history response requires `chunks` (an array of the item) and `latestSeq` (an integer >= 0).',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const { h } of endpoints(ctx)) {
        const r = target(ctx, h.response.$ref);
        if (!r) continue;
        for (const key of ['chunks', 'latestSeq']) {
          if (!requiresProperty(ctx.root, r.schema, r.pointer, key)) hits.push({ pointer: r.pointer, message: `${h.name}: the response does not require "${key}"`, hint: `declare and require "${key}"` });
        }
        const chunks = propertySchema(ctx.root, r.schema, r.pointer, 'chunks');
        const items = chunks && isSchemaObject(chunks.schema.items) ? chunks.schema.items : undefined;
        if (chunks && (chunks.schema.type !== 'array' || items?.$ref !== h.item.$ref)) {
          hits.push({ pointer: chunks.pointer, message: `${h.name}: chunks must be an array of ${h.item.$ref}`, hint: `declare "chunks": { "type": "array", "items": { "$ref": "${h.item.$ref}" } }` });
        }
        const latest = propertySchema(ctx.root, r.schema, r.pointer, 'latestSeq');
        if (latest && (latest.schema.type !== 'integer' || lowerBound(latest.schema) !== 0)) {
          hits.push({ pointer: latest.pointer, message: `${h.name}: latestSeq must be an integer >= 0 (it is the requested sinceSeq when nothing is returned)`, hint: 'declare latestSeq as { "type": "integer", "minimum": 0 }' });
        }
      }
      return hits;
    },
  },
  {
    id: 'history-item-seq',
    rule: 'W4',
    sentence: 'A history item requires seq, an integer whose minimum is 1 (1-based, gap-free).',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const { h } of endpoints(ctx)) {
        const item = target(ctx, h.item.$ref);
        if (!item) continue;
        const seq = propertySchema(ctx.root, item.schema, item.pointer, 'seq');
        if (!seq || !requiresProperty(ctx.root, item.schema, item.pointer, 'seq')) {
          hits.push({ pointer: item.pointer, message: `${h.name}: the history item does not require seq`, hint: 'declare and require "seq": { "$ref": "#/$defs/Seq" }' });
        } else if (seq.schema.type !== 'integer' || lowerBound(seq.schema) !== 1) {
          hits.push({ pointer: seq.pointer, message: `${h.name}: item seq must be an integer with minimum 1 (W4: "older items exist" is oldest.seq > 1)`, hint: 'declare seq with "minimum": 1' });
        }
      }
      return hits;
    },
  },
  {
    id: 'history-max-limit',
    rule: 'W2',
    sentence: 'A history endpoint sets maxLimit, and the query does not contradict it.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const { h, pointer } of endpoints(ctx)) {
        if (h.maxLimit === undefined) {
          hits.push({ severity: 'warning', pointer, message: `${h.name} sets no maxLimit: one request may ask for the whole log`, hint: 'set "maxLimit" (e.g. 500)' });
          continue;
        }
        const q = target(ctx, h.query.$ref);
        const limit = q && propertySchema(ctx.root, q.schema, q.pointer, 'limit');
        if (limit && typeof limit.schema.maximum === 'number' && limit.schema.maximum !== h.maxLimit) {
          hits.push({ pointer: `${limit.pointer}/maximum`, message: `${h.name}: limit.maximum (${limit.schema.maximum}) disagrees with maxLimit (${h.maxLimit})`, hint: 'remove limit.maximum; maxLimit is the one source' });
        }
      }
      return hits;
    },
  },
];
