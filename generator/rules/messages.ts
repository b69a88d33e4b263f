/**
 * Rules about message envelopes: the discriminator, the header each role needs (Q1, S5), and
 * examples.
 */
import { memberName } from '../model/names.js';
import { allowsUndeclared, isSchemaObject, propertySchema, requiresProperty } from '../schema-walk.js';
import type { LintRule, MessageDecl, RuleContext, RuleHit } from './rule.js';

function header(ctx: RuleContext, m: MessageDecl) {
  return propertySchema(ctx.root, m.schema, m.pointer, 'header');
}

export const messageRules: LintRule[] = [
  {
    id: 'message-envelope',
    sentence: 'A message is an object that requires `type`, `header` and `payload`, and its `type` is the const of x-message.type.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const m of ctx.messages) {
        for (const key of ['type', 'header', 'payload']) {
          if (!requiresProperty(ctx.root, m.schema, m.pointer, key)) {
            hits.push({ pointer: `${m.pointer}/required`, message: `${m.type} does not require "${key}"`, hint: `add "${key}" to required (every frame is { type, header, payload })` });
          }
        }
        const t = propertySchema(ctx.root, m.schema, m.pointer, 'type');
        if (!t || t.schema.const !== m.type) {
          hits.push({ pointer: t?.pointer ?? `${m.pointer}/properties`, message: `${m.type}: properties.type must be { "const": "${m.type}" } so that frames can be told apart`, hint: `set "type": { "const": "${m.type}" }` });
        }
      }
      return hits;
    },
  },
  {
    id: 'message-type-unique',
    sentence: 'Each message type, and the method name derived from it, is used by one message only.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const byType = new Map<string, MessageDecl>();
      const byMember = new Map<string, MessageDecl>();
      for (const m of ctx.messages) {
        const first = byType.get(m.type);
        if (first) hits.push({ pointer: `${m.pointer}/x-message/type`, message: `message type "${m.type}" is also declared by ${first.pointer}`, hint: 'give each message its own type' });
        byType.set(m.type, m);
        const member = memberName(m.type);
        const clash = byMember.get(member);
        if (clash && clash.type !== m.type) {
          hits.push({ pointer: `${m.pointer}/x-message/type`, message: `"${m.type}" and "${clash.type}" both become the method name ${member}()`, hint: 'rename one of the two message types' });
        }
        byMember.set(member, m);
      }
      return hits;
    },
  },
  {
    id: 'data-message-requires-seq',
    rule: 'Q1',
    sentence: 'A server-to-client data message requires header.seq, an integer whose minimum is the seq origin.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const m of ctx.messages) {
        if (m.direction !== 'server-to-client' || m.role !== 'data') continue;
        const h = header(ctx, m);
        if (!h || !requiresProperty(ctx.root, h.schema, h.pointer, 'seq')) {
          hits.push({ pointer: h?.via ?? `${m.pointer}/properties/header`, message: `${m.type} is a data message but its header does not require seq`, hint: 'use a header schema that requires "seq" (e.g. "$ref": "#/$defs/DataHeader")' });
          continue;
        }
        const seq = propertySchema(ctx.root, h.schema, h.pointer, 'seq');
        if (seq && (seq.schema.type !== 'integer' || seq.schema.minimum !== ctx.contract.sequencing.origin)) {
          hits.push({ pointer: seq.pointer, message: `${m.type}: header.seq must be an integer with minimum ${ctx.contract.sequencing.origin} (Q2: 1-based)`, hint: `declare seq as { "type": "integer", "minimum": ${ctx.contract.sequencing.origin} }` });
        }
      }
      return hits;
    },
  },
  {
    id: 'unsequenced-message-forbids-seq',
    rule: 'Q1',
    sentence: 'A control message, and any client-to-server message, does not allow header.seq.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const m of ctx.messages) {
        if (m.direction === 'server-to-client' && m.role === 'data') continue;
        const h = header(ctx, m);
        if (!h) continue; // reported by message-envelope / client rules
        const why = m.direction === 'client-to-server' ? 'client-to-server messages are never sequenced' : 'control messages never carry seq';
        if (propertySchema(ctx.root, h.schema, h.pointer, 'seq')) {
          hits.push({ pointer: `${h.pointer}/properties/seq`, message: `${m.type} declares header.seq, but ${why}`, hint: 'remove seq from this header (control messages may carry latest_seq as information)' });
        } else if (allowsUndeclared(ctx.root, h.schema, h.pointer)) {
          hits.push({ pointer: h.pointer, message: `${m.type}: its header allows undeclared properties, so a seq could slip through; ${why}`, hint: 'set "additionalProperties": false on the header schema' });
        }
      }
      return hits;
    },
  },
  {
    id: 'client-message-requires-session-id',
    rule: 'S5',
    sentence: 'Every client-to-server message requires header.session_id.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const m of ctx.messages) {
        if (m.direction !== 'client-to-server') continue;
        const h = header(ctx, m);
        if (!h || !requiresProperty(ctx.root, h.schema, h.pointer, 'session_id')) {
          hits.push({ pointer: h?.via ?? `${m.pointer}/properties/header`, message: `${m.type} is sent by clients but its header does not require session_id; the server could not tell which session it belongs to`, hint: 'use a header schema that requires "session_id" (e.g. "$ref": "#/$defs/ClientHeader")' });
        }
      }
      return hits;
    },
  },
  {
    id: 'data-message-session-id',
    rule: 'S2',
    sentence: 'A server-to-client data message requires header.session_id.',
    check(ctx) {
      return ctx.messages
        .filter((m) => m.direction === 'server-to-client' && m.role === 'data')
        .flatMap((m) => {
          const h = header(ctx, m);
          return h && !requiresProperty(ctx.root, h.schema, h.pointer, 'session_id')
            ? [{ pointer: h.via ?? h.pointer, message: `${m.type} is a data message but its header does not require session_id`, hint: 'require "session_id" in the data header' }]
            : [];
        });
    },
  },
  {
    id: 'message-closed-envelope',
    sentence: 'A message envelope and its header do not allow undeclared properties (a misspelled field would pass silently).',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const m of ctx.messages) {
        if (allowsUndeclared(ctx.root, m.schema, m.pointer)) {
          hits.push({ severity: 'warning', pointer: m.pointer, message: `${m.type} allows properties it does not declare`, hint: 'set "additionalProperties": false on the message' });
        }
      }
      return hits;
    },
  },
  {
    id: 'message-has-example',
    sentence: 'Every message has at least one example.',
    check(ctx) {
      return ctx.messages
        .filter((m) => !Array.isArray(m.schema.examples) || m.schema.examples.length === 0)
        .map((m) => ({ pointer: m.pointer, message: `${m.type} has no example`, hint: 'add "examples": [ … ] with at least one valid frame; docs and tests use it' }));
    },
  },
  {
    id: 'example-valid',
    sentence: 'Every example in $defs validates against its own schema.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const defs = isSchemaObject(ctx.root.$defs) ? ctx.root.$defs : {};
      for (const [name, def] of Object.entries(defs)) {
        if (!isSchemaObject(def) || !Array.isArray(def.examples)) continue;
        def.examples.forEach((example, i) => {
          const result = ctx.validateDef(name, example);
          if (!result.ok) {
            hits.push({ pointer: `/$defs/${name}/examples/${i}${result.path}`, message: `example ${i} of ${name} is invalid: ${result.path || '/'} ${result.message}`, hint: 'fix the example or the schema; examples are part of the contract' });
          }
        });
      }
      return hits;
    },
  },
];
