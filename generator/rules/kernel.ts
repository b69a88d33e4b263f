/**
 * Rules about the protocol kernel: the frames every contract must define and the fields and
 * codes the runtime relies on (H1, H2, R1–R3, S2).
 */
import { isSchemaObject, propertySchema, requiresProperty, type Resolved } from '../schema-walk.js';
import { KERNEL_MESSAGES, type LintRule, type MessageDecl, type RuleContext, type RuleHit } from './rule.js';

function kernel(ctx: RuleContext, type: string): MessageDecl | undefined {
  return ctx.messages.find((m) => m.type === type);
}

function payloadOf(ctx: RuleContext, m: MessageDecl): Resolved | undefined {
  return propertySchema(ctx.root, m.schema, m.pointer, 'payload');
}

/** Reports each of `fields` the payload of `type` does not require. */
function requireFields(ctx: RuleContext, type: string, fields: readonly string[], why: string): RuleHit[] {
  const m = kernel(ctx, type);
  if (!m) return [];
  const p = payloadOf(ctx, m);
  if (!p) return [{ pointer: `${m.pointer}/properties`, message: `${type} has no payload schema`, hint: 'declare properties.payload' }];
  return fields
    .filter((f) => !requiresProperty(ctx.root, p.schema, p.pointer, f))
    .map((f) => ({ pointer: p.pointer, message: `${type} payload does not require "${f}" (${why})`, hint: `declare and require "${f}" in the payload` }));
}

/** Reports each of `values` missing from the enum of payload.<field> of `type`. */
function requireEnum(ctx: RuleContext, type: string, field: string, values: readonly string[], why: string): RuleHit[] {
  const m = kernel(ctx, type);
  const p = m && payloadOf(ctx, m);
  if (!m || !p) return [];
  const f = propertySchema(ctx.root, p.schema, p.pointer, field);
  const list = f && Array.isArray(f.schema.enum) ? (f.schema.enum as unknown[]) : undefined;
  if (!f || !list) return [{ pointer: f?.pointer ?? p.pointer, message: `${type} payload.${field} must be an enum of typed codes`, hint: `declare "${field}": { "type": "string", "enum": [${values.map((v) => `"${v}"`).join(', ')}] }` }];
  return values
    .filter((v) => !list.includes(v))
    .map((v) => ({ pointer: `${f.pointer}/enum`, message: `${type} payload.${field} lacks "${v}" (${why})`, hint: `add "${v}" to the enum` }));
}

export const kernelRules: LintRule[] = [
  {
    id: 'kernel-messages',
    sentence: 'The kernel frames protocol.hello, resume, resumed, resume_failed, error, heartbeat and ack exist with their fixed direction and role.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const [type, want] of Object.entries(KERNEL_MESSAGES)) {
        const m = kernel(ctx, type);
        if (!m) {
          hits.push({ pointer: '/$defs', message: `the kernel message ${type} is missing (${want.rule})`, hint: `add a $defs entry with "x-message": { "type": "${type}", "direction": "${want.direction}", "role": "${want.role}" }` });
        } else if (m.direction !== want.direction || m.role !== want.role) {
          hits.push({ pointer: `${m.pointer}/x-message`, message: `${type} must be ${want.direction} ${want.role}, not ${m.direction} ${m.role}`, hint: `set "direction": "${want.direction}", "role": "${want.role}"` });
        }
      }
      for (const m of ctx.messages) {
        if (m.type.startsWith('protocol.') && !(m.type in KERNEL_MESSAGES)) {
          hits.push({ pointer: `${m.pointer}/x-message/type`, message: `"${m.type}" uses the reserved protocol. namespace but is not a kernel frame`, hint: 'use an application namespace such as "app." for your own messages' });
        }
      }
      return hits;
    },
  },
  {
    id: 'hello-fields',
    rule: 'H1',
    sentence: 'protocol.hello requires protocol_version, session_id, resume_token, latest_seq, replay_window, heartbeat_ms, session_ttl_ms, transports and capabilities.',
    check: (ctx) =>
      requireFields(ctx, 'protocol.hello', ['protocol_version', 'session_id', 'resume_token', 'latest_seq', 'replay_window', 'heartbeat_ms', 'session_ttl_ms', 'transports', 'capabilities'], 'H1: the first frame announces all of them'),
  },
  {
    id: 'hello-versions',
    rule: 'H2',
    sentence: "protocol.hello's protocol_version allows exactly the contract's protocolVersions.",
    check(ctx) {
      const m = kernel(ctx, 'protocol.hello');
      const p = m && payloadOf(ctx, m);
      const v = p && propertySchema(ctx.root, p.schema, p.pointer, 'protocol_version');
      if (!v) return [];
      const list = Array.isArray(v.schema.enum) ? (v.schema.enum as unknown[]).map(String) : undefined;
      const want = [...ctx.contract.protocolVersions].sort().join(', ');
      if (!list || [...list].sort().join(', ') !== want) {
        return [{ pointer: v.pointer, message: `protocol_version must enumerate exactly the supported versions (${want}); it allows ${list ? list.join(', ') : 'any string'}`, hint: `set "enum": [${ctx.contract.protocolVersions.map((x) => `"${x}"`).join(', ')}]` }];
      }
      return [];
    },
  },
  {
    id: 'resume-fields',
    rule: 'R1',
    sentence: 'protocol.resume requires resume_token and last_seen_seq.',
    check: (ctx) => requireFields(ctx, 'protocol.resume', ['resume_token', 'last_seen_seq'], 'R1: a resume names the token and the cursor'),
  },
  {
    id: 'resumed-fields',
    rule: 'R2',
    sentence: 'protocol.resumed requires from_seq and latest_seq.',
    check: (ctx) => requireFields(ctx, 'protocol.resumed', ['from_seq', 'latest_seq'], 'R2: the client learns what the replay covers'),
  },
  {
    id: 'resume-failed-reasons',
    rule: 'R3',
    sentence: 'protocol.resume_failed has a reason enum with window_exceeded, invalid_cursor, session_expired and unknown_session, and declares earliest_seq.',
    check(ctx) {
      const hits = requireEnum(ctx, 'protocol.resume_failed', 'reason', ['window_exceeded', 'invalid_cursor', 'session_expired', 'unknown_session'], 'R3/S3/S4: each failure is answered explicitly');
      const m = kernel(ctx, 'protocol.resume_failed');
      const p = m && payloadOf(ctx, m);
      if (p && !propertySchema(ctx.root, p.schema, p.pointer, 'earliest_seq')) {
        hits.push({ pointer: p.pointer, message: 'protocol.resume_failed payload does not declare earliest_seq (R3: window_exceeded tells where the window starts)', hint: 'declare "earliest_seq": { "$ref": "#/$defs/Seq" }' });
      }
      return hits;
    },
  },
  {
    id: 'error-codes',
    rule: 'S2',
    sentence: 'protocol.error has a code enum covering every error the runtime raises.',
    check: (ctx) =>
      requireEnum(
        ctx,
        'protocol.error',
        'code',
        ['malformed_frame', 'unknown_type', 'invalid_message', 'frame_too_large', 'session_required', 'unknown_session', 'session_expired', 'unsupported_version', 'superseded', 'handler_failed', 'overloaded'],
        'the runtime answers each of these with a typed error',
      ),
  },
  {
    id: 'ack-fields',
    rule: 'Q5',
    sentence: 'protocol.ack and protocol.heartbeat carry the cursor they are about.',
    check: (ctx) => [
      ...requireFields(ctx, 'protocol.ack', ['last_seen_seq'], 'Q5: ack = last_seen'),
      ...requireFields(ctx, 'protocol.heartbeat', ['latest_seq'], 'Q4: an idle client can still detect a lost tail message'),
    ],
  },
  {
    id: 'x-message-placement',
    sentence: 'x-message appears only on schemas directly under $defs, and x-contract only at the document root.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const scan = (node: unknown, pointer: string, depth: number): void => {
        if (Array.isArray(node)) return node.forEach((n, i) => scan(n, `${pointer}/${i}`, depth + 1));
        if (!isSchemaObject(node)) return;
        for (const [k, v] of Object.entries(node)) {
          const here = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          if (k === 'x-contract' && pointer !== '') hits.push({ pointer: here, message: 'x-contract is only allowed at the document root', hint: 'move it to the top level of the spec' });
          if (k === 'x-message' && !/^\/\$defs\/[^/]+$/.test(pointer)) hits.push({ pointer: here, message: 'x-message is only allowed on a schema directly under $defs', hint: 'declare the message as its own $defs entry' });
          if (k !== 'x-contract' && k !== 'x-message') scan(v, here, depth + 1);
        }
      };
      scan(ctx.root, '', 0);
      return hits;
    },
  },
];
