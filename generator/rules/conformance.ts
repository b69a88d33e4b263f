/**
 * Rules about x-contract.conformance, the block that tells `contractgen probe` how to make a live
 * server produce data: the trigger is a real client message with a valid payload, its data fits
 * the replay window, there is data to produce, and the history logs it names exist.
 */
import { escapePointerToken } from '../diagnostics.js';
import { isSchemaObject } from '../schema-walk.js';
import type { ConformanceBlock, LintRule, RuleContext, RuleHit } from './rule.js';

const BASE = '/x-contract/conformance';

function block(ctx: RuleContext): ConformanceBlock | undefined {
  return ctx.contract.conformance;
}

export const conformanceRules: LintRule[] = [
  {
    id: 'conformance-trigger-message',
    sentence: 'The conformance trigger names a client-to-server application message of the spec (not a protocol.* frame).',
    check(ctx) {
      const c = block(ctx);
      if (!c) return [];
      const m = ctx.messages.find((x) => x.type === c.trigger.type);
      const clientTypes = ctx.messages.filter((x) => x.direction === 'client-to-server' && !x.type.startsWith('protocol.')).map((x) => x.type);
      const hint = clientTypes.length ? `use one of ${clientTypes.join(', ')}` : 'declare a client-to-server message the server answers with data';
      if (!m) return [{ pointer: `${BASE}/trigger/type`, message: `the conformance trigger "${c.trigger.type}" is not a message of this spec`, hint }];
      if (m.direction !== 'client-to-server') return [{ pointer: `${BASE}/trigger/type`, message: `the conformance trigger "${c.trigger.type}" is a server-to-client message; the probe can only send client messages`, hint }];
      if (m.type.startsWith('protocol.')) return [{ pointer: `${BASE}/trigger/type`, message: `the conformance trigger "${c.trigger.type}" is a protocol frame; the server answers it itself, it cannot produce data`, hint }];
      return [];
    },
  },
  {
    id: 'conformance-trigger-payload',
    sentence: 'The conformance trigger payload validates against the payload schema of its message.',
    check(ctx) {
      const c = block(ctx);
      if (!c) return [];
      const m = ctx.messages.find((x) => x.type === c.trigger.type && x.direction === 'client-to-server');
      const example = m && Array.isArray(m.schema.examples) ? m.schema.examples[0] : undefined;
      // The message's own example supplies a valid envelope, so that only the payload is judged.
      if (!m || m.type.startsWith('protocol.') || !isSchemaObject(example)) return [];
      const result = ctx.validateDef(m.defName, { ...example, payload: c.trigger.payload });
      if (result.ok) return [];
      const inPayload = result.path.startsWith('/payload') ? result.path.slice('/payload'.length) : '';
      return [
        {
          pointer: `${BASE}/trigger/payload${inPayload}`,
          message: `the conformance trigger payload is not a valid ${m.type} payload: ${inPayload || '/'} ${result.message}`,
          hint: `write a payload that ${m.defName} accepts; the probe sends it exactly as written`,
        },
      ];
    },
  },
  {
    id: 'conformance-produces-fits-window',
    rule: 'R3',
    sentence: 'Two conformance triggers of data fit in the replay window (2 × produces <= replayWindow.maxMessages), so the probe can replay them.',
    check(ctx) {
      const c = block(ctx);
      if (!c) return [];
      const max = ctx.contract.replayWindow.maxMessages;
      return 2 * c.produces <= max
        ? []
        : [{ pointer: `${BASE}/produces`, message: `produces (${c.produces}) is more than half the replay window (${max} messages): the resume check could not replay two triggers of data`, hint: `set produces to at most ${Math.floor(max / 2)}` }];
    },
  },
  {
    id: 'conformance-has-data',
    rule: 'Q1',
    sentence: 'A contract with a conformance block has a server-to-client data message with an example for the trigger to produce.',
    check(ctx) {
      if (!block(ctx)) return [];
      const data = ctx.messages.filter((m) => m.direction === 'server-to-client' && m.role === 'data');
      if (data.some((m) => Array.isArray(m.schema.examples) && m.schema.examples.length > 0)) return [];
      return [{ pointer: BASE, message: 'the conformance trigger has nothing to produce: no server-to-client data message has an example', hint: data.length ? `add an example to ${data[0]!.type}` : 'declare a server-to-client data message, or remove the conformance block' }];
    },
  },
  {
    id: 'conformance-reply-example',
    rule: 'C4',
    sentence: 'When the conformance trigger declares a reply, the reply message has an example, which a server in conformance mode sends as that reply.',
    check(ctx) {
      const c = block(ctx);
      const reply = c ? ctx.messages.find((m) => m.type === c.trigger.type && m.direction === 'client-to-server')?.reply : undefined;
      const target = reply === undefined ? undefined : ctx.messages.find((m) => m.type === reply);
      if (!target || (Array.isArray(target.schema.examples) && target.schema.examples.some((e) => isSchemaObject(e) && e.payload !== undefined))) return [];
      return [{ pointer: `${target.pointer}`, message: `the conformance trigger ${c!.trigger.type} declares the reply ${reply}, which has no example: a server in conformance mode has nothing to answer it with (C4)`, hint: `add an example (with a payload) to ${target.defName}` }];
    },
  },
  {
    id: 'conformance-history',
    rule: 'W1',
    sentence: 'Each conformance history log names a history endpoint of the spec and gives every path parameter a value its schema accepts.',
    check(ctx) {
      const c = block(ctx);
      if (!c) return [];
      const hits: RuleHit[] = [];
      (c.history ?? []).forEach((entry, i) => {
        const at = `${BASE}/history/${i}`;
        const endpoint = (ctx.contract.history ?? []).find((h) => h.name === entry.endpoint);
        if (!endpoint) {
          const names = (ctx.contract.history ?? []).map((h) => h.name);
          hits.push({ pointer: `${at}/endpoint`, message: `"${entry.endpoint}" is not a history endpoint of this spec`, hint: names.length ? `use one of ${names.join(', ')}` : 'declare the endpoint under x-contract.history, or remove this entry' });
          return;
        }
        const inPath = [...endpoint.path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!);
        for (const name of inPath) {
          if (!Object.hasOwn(entry.params, name)) hits.push({ pointer: `${at}/params`, message: `no value for the path parameter {${name}} of ${endpoint.path}`, hint: `add "${name}": "…" to params` });
        }
        for (const [name, value] of Object.entries(entry.params)) {
          const pointer = `${at}/params/${escapePointerToken(name)}`;
          if (!inPath.includes(name)) {
            hits.push({ pointer, message: `${endpoint.path} has no path parameter {${name}}`, hint: inPath.length ? `the path parameters are ${inPath.join(', ')}` : 'remove it' });
            continue;
          }
          const why = rejects(ctx, endpoint.pathParams && Object.hasOwn(endpoint.pathParams, name) ? endpoint.pathParams[name] : undefined, value);
          if (why) hits.push({ pointer, message: `${JSON.stringify(value)} is not a valid ${name}: ${why}`, hint: `use a value the pathParams schema of ${name} accepts` });
        }
      });
      return hits;
    },
  },
];

/** Why a path-parameter schema rejects `value` ($ref to $defs or an inline pattern), or undefined. */
function rejects(ctx: RuleContext, schema: unknown, value: string): string | undefined {
  if (!isSchemaObject(schema)) return undefined;
  if (typeof schema.$ref === 'string' && /^#\/\$defs\/[^/]+$/.test(schema.$ref)) {
    const r = ctx.validateDef(schema.$ref.slice('#/$defs/'.length), value);
    return r.ok ? undefined : r.message;
  }
  if (typeof schema.pattern === 'string') {
    try {
      return new RegExp(schema.pattern, 'u').test(value) ? undefined : `must match ${schema.pattern}`;
    } catch {
      return undefined; // the schema rules report a broken pattern
    }
  }
  return undefined;
}
