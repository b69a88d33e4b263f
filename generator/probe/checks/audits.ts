/**
 * Audits: statements about every frame a transport delivered (Q1, R4.1, R4.4), judged over
 * everything the other checks of that transport received. They run last and are skipped when no
 * other check of the transport ran.
 */
import { describe, fail, type TransportContext } from '../context.js';
import { clip } from '../link.js';
import { skip, transportCheck, type TransportCheck } from './check.js';

/** Nothing of what an audit reads arrived: a failure of the server in a full run, nothing to judge in a selection. */
function nothing(ctx: TransportContext, what: string): never {
  if (ctx.partial) skip(`${what} arrived over ${ctx.kind} in the checks that ran: nothing to audit`);
  fail(`${what} arrived over ${ctx.kind}`);
}

export const auditChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'frames-are-json',
    statement: 'Q1.1',
    audit: true,
    sentence: 'Every frame is one JSON object { type, header, payload } (a poll answer and an HTTP refusal { "frames": [...] }).',
    async run(ctx) {
      const shape = ctx.recorder.violations.filter((v) => v.reason === 'not JSON' || v.reason.startsWith('is not a frame') || v.reason.startsWith('a poll answer'));
      if (shape.length > 0) fail(`${shape.length} answer(s) that are not frames: ${[...new Set(shape.map((v) => v.reason))].slice(0, 3).join('; ')}; first: ${shape[0]!.sample}`);
      if (ctx.recorder.received.length === 0) nothing(ctx, 'no frame');
      return `${ctx.recorder.received.length} frames, each a JSON object with type, header and payload`;
    },
  }),
  transportCheck({
    id: 'data-carries-seq',
    statement: 'Q1.2',
    audit: true,
    sentence: 'Every data message carries header.seq and the session_id of the session it belongs to.',
    async run(ctx) {
      const data = ctx.recorder.received.filter((r) => r.data);
      if (data.length === 0) nothing(ctx, `no data message (does the server answer the conformance trigger ${ctx.spec.conformance.trigger.type} with ${ctx.produces} data messages?)`);
      const noSeq = data.filter((r) => !Number.isInteger(r.frame.header.seq) || (r.frame.header.seq as number) < ctx.origin);
      if (noSeq.length > 0) fail(`${noSeq.length} of ${data.length} data messages have no seq (≥ ${ctx.origin}), e.g. ${clip(JSON.stringify(noSeq[0]!.frame), 160)}`);
      const other = data.filter((r) => r.sessionId !== undefined && r.frame.header.session_id !== r.sessionId);
      if (other.length > 0) fail(`${other.length} of ${data.length} data messages name another session_id than their session's, e.g. ${clip(JSON.stringify(other[0]!.frame), 160)}`);
      return `${data.length} data messages with seq and session_id`;
    },
  }),
  transportCheck({
    id: 'control-no-seq',
    statement: 'Q1.3',
    audit: true,
    sentence: 'No control frame (hello, resumed, resume_failed, error, heartbeat) carries header.seq.',
    async run(ctx) {
      const control = ctx.recorder.received.filter((r) => !r.data);
      if (control.length === 0) nothing(ctx, 'no control frame');
      const bad = control.filter((r) => 'seq' in r.frame.header);
      if (bad.length > 0) fail(`${bad.length} control frames carry header.seq, e.g. ${clip(JSON.stringify(bad[0]!.frame), 200)}`);
      return `${control.length} control frames without seq`;
    },
  }),
  transportCheck({
    id: 'frames-valid',
    statement: 'Q1.4',
    audit: true,
    sentence: 'Every frame the server sends validates against the spec’s schema for its type.',
    async run(ctx) {
      const v = ctx.recorder.violations;
      if (v.length === 0 && ctx.recorder.received.length === 0) nothing(ctx, 'no frame');
      if (v.length > 0) {
        const reasons = new Map<string, number>();
        for (const x of v) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
        const top = [...reasons].slice(0, 3).map(([r, n]) => `${r}${n > 1 ? ` (${n}×)` : ''}`);
        fail(`${v.length} invalid frame(s): ${top.join('; ')}; first: ${v[0]!.sample}`);
      }
      return `${ctx.recorder.received.length} frames, all valid`;
    },
  }),
  transportCheck({
    id: 'sse-event-ids',
    statement: 'R4.1',
    only: ['sse'],
    audit: true,
    sentence: 'Every SSE data event has id: equal to its seq (so Last-Event-ID is the cursor), and control events have no id.',
    async run(ctx) {
      const events = ctx.recorder.received.filter((r) => r.sseId !== undefined || r.data);
      if (!events.some((r) => r.data)) nothing(ctx, 'no SSE data event');
      const badData = events.filter((r) => r.data && r.sseId !== String(r.frame.header.seq));
      const badControl = ctx.recorder.received.filter((r) => !r.data && r.sseId !== undefined);
      if (badData.length > 0) fail(`${badData.length} data events have an id: that is not their seq, e.g. id ${JSON.stringify(badData[0]!.sseId)} on ${describe(badData[0])}`);
      if (badControl.length > 0) fail(`${badControl.length} control events carry an id:, e.g. id ${JSON.stringify(badControl[0]!.sseId)} on ${describe(badControl[0])}: Last-Event-ID would stop being the cursor`);
      return `${events.length} data events with id = seq; control without id`;
    },
  }),
  transportCheck({
    id: 'sse-framing',
    statement: 'R4.4',
    only: ['sse'],
    audit: true,
    sentence: 'Every SSE event is one data: line holding one frame, with no event: field, and heartbeats are events, never comments.',
    async run(ctx) {
      const bad = ctx.recorder.framing;
      if (bad.length > 0) fail(`${bad.length} framing fault(s), e.g. ${[...new Set(bad)].slice(0, 3).join('; ')}`);
      if (ctx.recorder.received.length === 0) nothing(ctx, 'no SSE event');
      return `${ctx.recorder.received.length} events, one data: line each, no event: field, no comment`;
    },
  }),
];
