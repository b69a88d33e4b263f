/**
 * Rules about the protocol kernel: the frames every contract must define and the fields and
 * codes the runtime relies on (H1, H2, R1–R3, S2). What the runtime relies on is read from the
 * kernel contractgen ships (spec/kernel/), so a spec that spells the kernel out is held to the
 * same definitions a spec that takes them by $ref gets — and every frame the runtime builds must
 * pass the spec's schemas, so a spelled-out copy cannot drift silently.
 */
import { errorFrame, helloFrame, heartbeatFrame, receivedFrame, resumedFrame, resumeFailedFrame, KERNEL, type ErrorCode, type Frame, type ResumeFailure } from '../../runtime/frames.js';
import { CURRENT_KERNEL, kernelRef, shippedKernel } from '../kernel.js';
import { getAt, isSchemaObject, propertySchema, requiresProperty, type Resolved, type Schema } from '../schema-walk.js';
import { KERNEL_MESSAGES, type ContractBlock, type LintRule, type MessageDecl, type RuleContext, type RuleHit } from './rule.js';

/** What the shipped kernel declares at a path of one of its definitions (a required list, an enum). */
function kernelList(def: string, path: string): string[] {
  const kernel = shippedKernel(CURRENT_KERNEL);
  const value = kernel && getAt(kernel.defs, `/${def}/${path}`);
  if (!Array.isArray(value)) throw new Error(`the shipped kernel ${CURRENT_KERNEL} has no list at /$defs/${def}/${path}`);
  return value.map(String);
}

const HELLO_FIELDS = kernelList('ProtocolHello', 'properties/payload/required');
const RESUME_FIELDS = kernelList('ProtocolResume', 'properties/payload/required');
const RESUMED_FIELDS = kernelList('ProtocolResumed', 'properties/payload/required');
const ACK_FIELDS = kernelList('ProtocolAck', 'properties/payload/required');
const HEARTBEAT_FIELDS = kernelList('ProtocolHeartbeat', 'properties/payload/required');
const RECEIVED_FIELDS = kernelList('ProtocolReceived', 'properties/payload/required');
const RESUME_FAILURES = kernelList('ProtocolResumeFailed', 'properties/payload/properties/reason/enum');
const ERROR_CODES = kernelList('ProtocolError', 'properties/payload/properties/code/enum');

/** The kernel's $defs name of a kernel message type (`protocol.hello` → `ProtocolHello`). */
function kernelDefName(type: string): string | undefined {
  const kernel = shippedKernel(CURRENT_KERNEL);
  return Object.entries(kernel?.defs ?? {}).find(([, d]) => isSchemaObject(d['x-message']) && d['x-message'].type === type)?.[0];
}

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
    sentence: 'The kernel frames protocol.hello, resume, resumed, resume_failed, error, heartbeat, ack and received exist with their fixed direction and role.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const [type, want] of Object.entries(KERNEL_MESSAGES)) {
        const m = kernel(ctx, type);
        if (!m) {
          const name = kernelDefName(type);
          hits.push({ pointer: '/$defs', message: `the kernel message ${type} is missing (${want.rule})`, hint: name ? `take it from the kernel: "${name}": { "$ref": "${kernelRef(name)}" }` : `add a $defs entry with "x-message": { "type": "${type}", "direction": "${want.direction}", "role": "${want.role}" }` });
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
    sentence: `protocol.hello requires ${HELLO_FIELDS.join(', ')} (as the shipped kernel does).`,
    check: (ctx) => requireFields(ctx, 'protocol.hello', HELLO_FIELDS, 'H1: the first frame announces all of them'),
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
    sentence: `protocol.resume requires ${RESUME_FIELDS.join(', ')}.`,
    check: (ctx) => requireFields(ctx, 'protocol.resume', RESUME_FIELDS, 'R1: a resume names the token and the cursor'),
  },
  {
    id: 'resumed-fields',
    rule: 'R2',
    sentence: `protocol.resumed requires ${RESUMED_FIELDS.join(', ')}.`,
    check: (ctx) => requireFields(ctx, 'protocol.resumed', RESUMED_FIELDS, 'R2: the client learns what the replay covers'),
  },
  {
    id: 'resume-failed-reasons',
    rule: 'R3',
    sentence: `protocol.resume_failed has a reason enum with ${RESUME_FAILURES.join(', ')}, and declares earliest_seq.`,
    check(ctx) {
      const hits = requireEnum(ctx, 'protocol.resume_failed', 'reason', RESUME_FAILURES, 'R3/S3/S4: each failure is answered explicitly');
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
    sentence: `protocol.error has a code enum covering every error the runtime raises (${ERROR_CODES.join(', ')}).`,
    check: (ctx) => requireEnum(ctx, 'protocol.error', 'code', ERROR_CODES, 'the runtime answers each of these with a typed error'),
  },
  {
    id: 'ack-fields',
    rule: 'Q5',
    sentence: 'protocol.ack and protocol.heartbeat carry the cursor they are about.',
    check: (ctx) => [
      ...requireFields(ctx, 'protocol.ack', ACK_FIELDS, 'Q5: ack = last_seen'),
      ...requireFields(ctx, 'protocol.heartbeat', HEARTBEAT_FIELDS, 'Q4: an idle client can still detect a lost tail message'),
    ],
  },
  {
    id: 'received-fields',
    rule: 'C2',
    sentence: `protocol.received requires ${RECEIVED_FIELDS.join(', ')}: the highest cseq the server accepted.`,
    check: (ctx) => requireFields(ctx, 'protocol.received', RECEIVED_FIELDS, 'C2: the client resolves every send up to it'),
  },
  {
    id: 'kernel-frames-accepted',
    fallback: true,
    sentence: 'Every kernel frame the runtime builds (each hello, resumed, resume_failed reason, error code, heartbeat, and the client\'s resume and ack) passes the spec\'s own schema for it.',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const sample of runtimeFrames(ctx.contract)) {
        const m = kernel(ctx, sample.frame.type);
        if (!m) continue; // kernel-messages reports it
        const result = ctx.validateDef(m.defName, sample.frame);
        if (result.ok) continue;
        const who = m.direction === 'server-to-client' ? 'the server runtime sends' : 'the generated client sends';
        hits.push({
          pointer: schemaPointerAt(ctx.root, m, result.path),
          message: `${sample.frame.type} as ${who} it (${sample.what}) does not pass this schema: ${result.path || '/'} ${result.message}`,
          hint: `make the schema accept what the runtime builds, or take the definition from the kernel: "${m.defName}": { "$ref": "${kernelRef(kernelDefName(m.type) ?? m.defName)}" }`,
        });
      }
      return hits;
    },
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

/** Characters of URL-safe base64 for `bits` random bits, as runtime/server/ids.ts makes them. */
function idLength(bits: number): number {
  return Math.ceil((Math.ceil(bits / 8) * 8) / 6);
}

/** One of every kernel frame the runtime builds for this contract, with what it stands for. */
function runtimeFrames(c: ContractBlock): { readonly frame: Frame; readonly what: string }[] {
  // At least the entropy S1 demands (session-entropy reports less).
  const sessionId = 'A'.repeat(idLength(Math.max(c.session.idBits ?? 128, 128)));
  const token = 'B'.repeat(idLength(Math.max(c.session.tokenBits ?? 256, 256)));
  const transports = (['websocket', 'sse', 'poll'] as const).filter((t) => c.transports[t]);
  const frames: { frame: Frame; what: string }[] = [];
  for (const protocolVersion of c.protocolVersions) {
    const hello = helloFrame({ protocolVersion, sessionId, resumeToken: token, latestSeq: 0, replayWindow: c.replayWindow, heartbeatMs: c.heartbeatMs, sessionTtlMs: c.session.ttlMs, maxFrameBytes: c.maxFrameBytes, transports, capabilities: c.capabilities ?? [] });
    frames.push({ frame: hello, what: `protocol version ${protocolVersion}` });
  }
  frames.push({ frame: resumedFrame(sessionId, 4, 7, 2), what: 'from seq 4 to 7, acked 2' });
  for (const reason of RESUME_FAILURES) {
    const window = reason === 'window_exceeded' || reason === 'invalid_cursor';
    frames.push({ frame: resumeFailedFrame(reason as ResumeFailure, `resume refused: ${reason}`, window ? { earliestSeq: 11, latestSeq: 1010 } : {}), what: `reason ${reason}` });
  }
  for (const code of ERROR_CODES) frames.push({ frame: errorFrame(code as ErrorCode, `error: ${code}`), what: `code ${code}` });
  frames.push({ frame: errorFrame('unsupported_version', 'no common protocol version', { sessionId, path: '/payload/text', requestId: 'r-1', supportedVersions: c.protocolVersions }), what: 'with every optional detail' });
  frames.push({ frame: errorFrame('handler_failed', 'the handler failed', { sessionId, requestId: 'r-1', cseq: 3 }), what: 'about the frame with cseq 3' });
  frames.push({ frame: heartbeatFrame(sessionId, 3, 2), what: 'latest seq 3, acked 2' });
  frames.push({ frame: receivedFrame(sessionId, 2), what: 'acked 2' });
  frames.push({ frame: { type: KERNEL.resume, header: { session_id: sessionId }, payload: { resume_token: token, last_seen_seq: 3 } }, what: 'from seq 3' });
  frames.push({ frame: { type: KERNEL.ack, header: { session_id: sessionId }, payload: { last_seen_seq: 3 } }, what: 'up to seq 3' });
  return frames;
}

/** The schema that judged the value at `instancePath` of a frame: its pointer in the spec (the deepest one that exists). */
function schemaPointerAt(root: Schema, m: MessageDecl, instancePath: string): string {
  let at: Resolved = { schema: m.schema, pointer: m.pointer };
  for (const token of instancePath.split('/').slice(1)) {
    const next = /^\d+$/.test(token) && isSchemaObject(at.schema.items) ? { schema: at.schema.items, pointer: `${at.pointer}/items` } : propertySchema(root, at.schema, at.pointer, token);
    if (!next) break;
    at = next;
  }
  return at.via ?? at.pointer; // where the property is declared, which is where a fix usually goes
}
