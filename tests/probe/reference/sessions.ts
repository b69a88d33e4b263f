/**
 * The reference server's protocol core, written from generated/docs/wire.md alone (no runtime/,
 * no generated code): sessions with their window (count and bytes), acknowledgements, expiry and
 * supersede; the typed parse of a client frame (validated against the spec's own schemas, as a
 * server in another language would with its schema library); the kernel frames; and the cursor
 * syntax. Faults switch single statements off (faults.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Fault } from './faults.js';

export interface SpecParams {
  readonly protocolVersions: string[];
  readonly replayWindow: { maxMessages: number; maxBytes: number };
  readonly heartbeatMs: number;
  readonly session: { ttlMs: number };
  readonly maxFrameBytes: number;
  readonly capabilities: string[];
  readonly transports: { poll: { holdMs: number } };
  readonly history: { maxLimit: number }[];
  readonly conformance: { trigger: { type: string; payload: unknown }; produces: number; history: { params: { conversationId: string }; minItems: number }[] };
}

export const specJson = JSON.parse(readFileSync(new URL('../../../spec/protocol.schema.json', import.meta.url), 'utf8')) as {
  $id: string;
  'x-contract': SpecParams;
  $defs: Record<string, { 'x-message'?: { type: string; direction: string; reply?: string }; examples?: unknown[] }>;
};
export const C = specJson['x-contract'];

export interface Timers {
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  readonly holdMs: number;
}

/** Where a session's frames go: one live attachment (S4.5). */
export interface Sink {
  readonly kind: 'websocket' | 'sse' | 'poll';
  send(text: string, seq?: number): void;
  heartbeat(latest: number): void;
  /** Taken over by another attachment. */
  superseded(): void;
  /** Poll: whether the attachment is still live (a poll held, or the lease running). */
  live?(): boolean;
}

export interface Session {
  readonly id: string;
  token: string;
  version: string;
  latest: number;
  /** C2: the highest client cseq accepted. */
  acked: number;
  /** The replay window: the newest frames within both bounds, less what was acknowledged. */
  window: { seq: number; text: string; bytes: number }[];
  windowBytes: number;
  sink: Sink | undefined;
  detachedAt: number;
}

export type Frame = { type: string; header: Record<string, unknown>; payload: Record<string, unknown> };
export type Parsed = { ok: true; frame: Frame } | { ok: false; error: string; status: number };

const CANONICAL = /^(0|[1-9][0-9]*)$/;

/** `window` replaces the spec's replay window (a spec variant whose byte bound binds first). */
export function createCore(faults: readonly Fault[], timers: Timers, window: SpecParams['replayWindow'] = C.replayWindow) {
  const has = (f: Fault): boolean => faults.includes(f);
  const sessions = new Map<string, Session>();
  const tombstones = new Map<string, string>();
  let counter = 0;

  const ajv = new Ajv2020({ strict: false, allErrors: false });
  ajv.addSchema(specJson);
  const clientTypes = new Map<string, string>();
  for (const [name, def] of Object.entries(specJson.$defs)) if (def['x-message']?.direction === 'client-to-server') clientTypes.set(def['x-message'].type, name);
  // C4: the trigger's declared reply, answered last with the trigger's cseq; replies are no samples.
  const replyType = Object.values(specJson.$defs).find((d) => d['x-message']?.type === C.conformance.trigger.type)?.['x-message']?.reply;
  const examplesOf = (d: (typeof specJson.$defs)[string]) => (d.examples ?? []).map((e) => ({ type: d['x-message']!.type, payload: (e as { payload: unknown }).payload }));
  const replySample = Object.values(specJson.$defs).filter((d) => d['x-message']?.type === replyType).flatMap(examplesOf)[0];
  const samples = Object.values(specJson.$defs)
    .filter((d) => d['x-message']?.direction === 'server-to-client' && (d as { 'x-message': { role?: string } })['x-message'].role === 'data' && d['x-message'].type !== replyType)
    .flatMap(examplesOf);

  const json = (v: unknown): string => JSON.stringify(v);
  const error = (code: string, message: string, extra: Record<string, unknown> = {}, sessionId?: string): string =>
    json({ type: 'protocol.error', header: sessionId ? { session_id: sessionId } : {}, payload: { code, message, ...extra } });
  const refusal = (reason: string, message: string, extra: Record<string, unknown> = {}): string => json({ type: 'protocol.resume_failed', header: {}, payload: { reason, message, ...extra } });
  const heartbeat = (s: Session): string => json({ type: 'protocol.heartbeat', header: { session_id: s.id }, payload: { latest_seq: has('heartbeat-stale-latest') ? 0 : s.latest, acked: s.acked } });
  const unsupported = (): string => error('unsupported_version', `the server speaks ${C.protocolVersions.join(', ')}`, { supported_versions: C.protocolVersions });

  const hello = (s: Session, resumed: boolean): string => {
    if (has('token-rotates') && resumed) s.token = randomBytes(32).toString('base64url');
    return json({
      type: 'protocol.hello',
      header: has('hello-takes-seq') ? { session_id: s.id, seq: 1 } : { session_id: s.id },
      payload: {
        protocol_version: s.version,
        session_id: s.id,
        resume_token: s.token,
        latest_seq: resumed && has('resumed-hello-stale') ? 0 : s.latest,
        replay_window: { max_messages: window.maxMessages, max_bytes: window.maxBytes },
        heartbeat_ms: timers.heartbeatMs,
        session_ttl_ms: timers.ttlMs,
        max_frame_bytes: C.maxFrameBytes,
        transports: ['websocket', 'sse', 'poll'],
        capabilities: C.capabilities,
      },
    });
  };
  const resumed = (s: Session, cursor: number): string => {
    const from = has('off-by-one-replay') ? Math.max(1, cursor) : cursor + 1;
    return json({ type: 'protocol.resumed', header: { session_id: s.id, latest_seq: s.latest }, payload: { from_seq: from, latest_seq: s.latest, acked: s.acked } });
  };

  /** H2 (and H2.5: blanks do not count, an empty list names nothing). */
  const negotiate = (offer: string | null): string | undefined => {
    const offered = (offer ?? '').split(',').map((v) => v.trim()).filter(Boolean);
    const ordered = [...C.protocolVersions];
    if (offered.length === 0) return ordered[ordered.length - 1];
    const common = ordered.filter((v) => offered.includes(v));
    if (common.length === 0) return has('no-version-refusal') ? ordered[ordered.length - 1] : undefined;
    return has('version-lowest') ? common[0] : common[common.length - 1];
  };

  const create = (version: string): Session => {
    const id = has('counter-ids') ? `s${String(++counter).padStart(21, '0')}` : randomBytes(16).toString('base64url');
    const s: Session = { id, token: randomBytes(32).toString('base64url'), version, latest: 0, acked: 0, window: [], windowBytes: 0, sink: undefined, detachedAt: Date.now() };
    sessions.set(id, s);
    return s;
  };

  /** S3: one answer for an unknown id and a wrong token; only the token holder learns of expiry (S4.3). */
  const authenticate = (id: string | null, token: string | null | undefined): Session | { reason: 'unknown_session' | 'session_expired'; message: string } => {
    const s = id === null ? undefined : sessions.get(id);
    if (s && s.token === token) return s;
    const buried = id === null ? undefined : tombstones.get(id);
    if (buried !== undefined && (buried === token || has('expired-oracle'))) return { reason: 'session_expired', message: 'the session expired' };
    return { reason: 'unknown_session', message: s && has('token-oracle') ? 'that resume_token is wrong' : 'no session matches this session_id and resume_token' };
  };

  const earliest = (s: Session): number => s.window[0]?.seq ?? s.latest + 1;

  /** Q5: releases every seq up to `k` (not past latest_seq). */
  const release = (s: Session, k: number): void => {
    while (s.window.length > 0 && s.window[0]!.seq <= Math.min(k, s.latest)) s.windowBytes -= s.window.shift()!.bytes;
  };

  /** R2/R3: the frames after `cursor`, or the refusal and its poll status (`resuming`: a resume, not a poll that continues). */
  const replay = (s: Session, cursor: number, resuming = true): { frames: { seq: number; text: string }[] } | { refusal: string; status: number } => {
    const e = earliest(s);
    const bounds = { earliest_seq: e, latest_seq: s.latest };
    if (cursor > s.latest) return { refusal: refusal('invalid_cursor', `cursor ${cursor} is ahead of ${s.latest}`, bounds), status: has('invalid-cursor-410') ? 410 : 400 };
    const after = has('off-by-one-replay') && resuming ? cursor - 1 : cursor;
    if (has('index-cursor')) return { frames: s.window.slice(Math.max(0, cursor)) };
    if (after < e - 1 && !has('partial-replay')) return { refusal: refusal('window_exceeded', `cursor ${cursor} is older than the window`, bounds), status: 410 };
    return { frames: s.window.filter((f) => f.seq > after) };
  };

  /** Q2/Q3/R3.4: stamps, keeps within both bounds, and delivers one data frame. */
  const emit = (s: Session, type: string, payload: unknown, cseq?: number): void => {
    const seq = ++s.latest;
    const answers = cseq === undefined ? {} : { cseq };
    const header = has('unstamped-data') ? { session_id: s.id, ...answers } : { session_id: s.id, ...answers, seq: has('hello-takes-seq') ? seq + 1 : seq };
    const text = json({ type, header, payload });
    const bytes = Buffer.byteLength(text);
    const max = window.maxMessages - (has('window-one-short') ? 1 : 0);
    const maxBytes = has('window-count-only') ? Infinity : window.maxBytes;
    while (s.window.length > 0 && (s.window.length >= max || s.windowBytes + bytes > maxBytes)) s.windowBytes -= s.window.shift()!.bytes;
    s.window.push({ seq, text, bytes });
    s.windowBytes += bytes;
    s.sink?.send(text, seq);
  };

  /** S4.5: one live attachment; the one in place is told, unless the fault is on. */
  const attach = (s: Session, sink: Sink): void => {
    const previous = s.sink;
    s.sink = sink;
    if (previous && previous !== sink && !has('no-supersede')) previous.superseded();
  };
  const detach = (s: Session, sink: Sink): void => {
    if (s.sink !== sink) return;
    s.sink = undefined;
    s.detachedAt = Date.now();
  };

  /** L1/L2/S2: a client frame, or its typed error and status. */
  const parse = (text: string): Parsed => {
    const bad = (code: string, message: string, extra: Record<string, unknown> = {}, status = 400): Parsed => ({ ok: false, error: error(code, message, extra), status });
    if (Buffer.byteLength(text) > C.maxFrameBytes) return bad('frame_too_large', `frames are limited to ${C.maxFrameBytes} bytes`, {}, 413);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return bad('malformed_frame', 'not JSON');
    }
    const f = v as Frame;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof f.type !== 'string') return bad('malformed_frame', 'a frame is an object with a string type');
    const requestId = typeof f.header?.request_id === 'string' && !has('no-request-id') ? { request_id: f.header.request_id } : {};
    const name = clientTypes.get(f.type);
    if (!name) return bad('unknown_type', `${f.type} is no client message`, { path: '/type', ...requestId });
    const implicit = has('implicit-default-session') && (f.header?.session_id === undefined || f.header.session_id === 'default');
    if (implicit) return { ok: true, frame: { ...f, header: { ...f.header, session_id: 'default' } } };
    if (typeof f.header !== 'object' || f.header === null || f.header.session_id === undefined) return bad('session_required', 'every client frame names its session', { path: '/header/session_id', ...requestId });
    const validate = ajv.getSchema(`${specJson.$id}#/$defs/${name}`)!;
    if (!validate(v)) {
      const e = validate.errors![0]!;
      const path = e.keyword === 'required' ? `${e.instancePath}/${String((e.params as { missingProperty: string }).missingProperty)}` : e.instancePath;
      return bad('invalid_message', `${path || '/'} ${e.message ?? 'is invalid'}`, { path, ...requestId });
    }
    return { ok: true, frame: f };
  };

  /** R4.3: a canonical decimal from 0 to 2^53 - 1 (lenient: parseInt). */
  const cursorOf = (value: string | null | undefined): number | undefined | 'malformed' => {
    if (value === null || value === undefined) return undefined;
    if (has('lenient-cursor')) {
      const n = parseInt(value, 10);
      return Number.isNaN(n) || n < 0 ? 'malformed' : n;
    }
    if (!CANONICAL.test(value) || value.length > 16) return 'malformed';
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : 'malformed';
  };

  /** The conformance trigger: `produces` data messages from the spec's examples, its reply (C4) last. */
  const isTrigger = (f: Frame): boolean => f.type === C.conformance.trigger.type && json(f.payload) === json(C.conformance.trigger.payload);
  const produce = (s: Session, cseq: number | undefined): void => {
    const reply = replySample ? () => emit(s, replySample.type, replySample.payload, has('reply-without-cseq') ? undefined : cseq) : undefined;
    if (reply && has('reply-first')) reply();
    const emitted = reply ? C.conformance.produces - 1 : C.conformance.produces;
    for (let i = 0; i < emitted; i++) {
      const sample = samples[(s.latest + i) % samples.length]!;
      emit(s, sample.type, sample.payload);
    }
    if (reply && !has('reply-first')) reply();
  };

  /**
   * What a client frame does to its session once it is let in (acks, the trigger). C2: a numbered
   * frame is handled only when its cseq is the next one; the answer says what became of it.
   */
  const handle = (s: Session, f: Frame): { verdict: 'accepted' | 'duplicate' | 'gap' | 'unnumbered'; acked: number } => {
    if (typeof f.header.ack === 'number') release(s, f.header.ack);
    if (f.type === 'protocol.ack' && !has('ack-ignored')) release(s, f.payload.last_seen_seq as number);
    const cseq = f.header.cseq;
    if (typeof cseq !== 'number') {
      if (isTrigger(f)) produce(s, undefined);
      return { verdict: 'unnumbered', acked: s.acked };
    }
    if (cseq <= s.acked) {
      if (has('duplicate-handled') && isTrigger(f)) produce(s, cseq);
      return { verdict: 'duplicate', acked: s.acked };
    }
    if (cseq > s.acked + 1 && !has('gap-accepted')) return { verdict: 'gap', acked: s.acked };
    s.acked = cseq;
    if (isTrigger(f)) produce(s, cseq);
    return { verdict: 'accepted', acked: s.acked };
  };
  /** C2.3: the refusal of a frame whose cseq is past the next one. */
  const gap = (s: Session, f: Frame): string =>
    error('cseq_gap', `cseq ${String(f.header.cseq)} is not the next one: send again from ${s.acked + 1}`, { path: '/header/cseq', cseq: f.header.cseq, ...(typeof f.header.request_id === 'string' ? { request_id: f.header.request_id } : {}) }, s.id);
  /** C2.1: the acknowledgement on a connection. */
  const received = (s: Session): string => json({ type: 'protocol.received', header: { session_id: s.id }, payload: { acked: s.acked } });

  const defaultSession = (): Session => {
    let s = sessions.get('default');
    if (!s) {
      s = { id: 'default', token: '', version: C.protocolVersions[C.protocolVersions.length - 1]!, latest: 0, acked: 0, window: [], windowBytes: 0, sink: undefined, detachedAt: Date.now() };
      sessions.set('default', s);
    }
    return s;
  };

  // S4: expiry, and heartbeats on every attached session.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const s of sessions.values()) {
      if (s.sink?.live && !s.sink.live()) detach(s, s.sink);
      if (!has('no-expiry') && s.sink === undefined && now - s.detachedAt >= timers.ttlMs) {
        sessions.delete(s.id);
        tombstones.set(s.id, s.token);
      }
    }
  }, Math.min(timers.heartbeatMs, 250));
  const beat = setInterval(() => {
    for (const s of sessions.values()) s.sink?.heartbeat(s.latest);
  }, timers.heartbeatMs);

  return {
    has,
    sessions,
    error,
    refusal,
    hello,
    resumed,
    heartbeat,
    unsupported,
    negotiate,
    create,
    authenticate,
    replay,
    release,
    attach,
    detach,
    parse,
    cursorOf,
    handle,
    gap,
    received,
    defaultSession,
    close(): void {
      clearInterval(sweep);
      clearInterval(beat);
    },
  };
}

export type Core = ReturnType<typeof createCore>;
