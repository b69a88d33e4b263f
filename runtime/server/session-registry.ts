/**
 * S1–S4: sessions. The registry is the only place a session is created: ids and tokens come
 * from the CSPRNG, a session outlives its transport for the TTL and is then gone, a new
 * attachment supersedes the old one, and there is no default session to fall back to.
 */
import type { TransportKind } from '../contract.js';
import type { Frame } from '../frames.js';
import { randomId, tokenDigest, tokenMatches } from './ids.js';
import { createOutbox, type Outbox, type OutboxOptions } from './outbox.js';

/** Why an attachment is being closed by the server. */
export interface CloseReason {
  readonly code: 'superseded' | 'session_expired' | 'protocol_error' | 'slow_consumer' | 'server_closing';
  readonly message: string;
  /** A frame to deliver before closing, when the transport can. */
  readonly frame?: Frame;
}

/** One live transport connection bound to a session. Transports implement it. */
export interface Attachment {
  readonly kind: TransportKind;
  /** Delivers serialized frames in order; `seq` is set for data frames. */
  send(frame: string, seq?: number): void;
  /** Keepalive tick (every heartbeatMs while attached). */
  heartbeat(latestSeq: number): void;
  close(reason: CloseReason): void;
}

export interface Session {
  readonly id: string;
  readonly createdAt: number;
  readonly outbox: Outbox;
  protocolVersion: string;
  /** The live attachment, if any. */
  readonly attachment: Attachment | undefined;
  /** When the last attachment went away (undefined while attached). */
  readonly detachedAt: number | undefined;
  /** Free for the application (ctx.session.data). */
  readonly data: Map<string, unknown>;
}

export type SessionLookup = { readonly ok: true; readonly session: Session } | { readonly ok: false; readonly reason: 'unknown_session' | 'session_expired' };

export interface SessionRegistry {
  readonly size: number;
  /** S1: a new session with a fresh id and token. The token is returned once, here. */
  create(protocolVersion: string): { readonly session: Session; readonly token: string };
  /** S3: finds a session by id and token. A wrong token answers exactly like an unknown id. */
  authenticate(id: string, token: string): SessionLookup;
  /** S4: binds an attachment, closing the one it supersedes. */
  attach(session: Session, attachment: Attachment): void;
  /** The attachment went away; the TTL starts. No-op if it was already superseded. */
  detach(session: Session, attachment: Attachment): void;
  /** Expires sessions detached for longer than the TTL; returns them. */
  sweep(now: number): Session[];
  /** Every live session (for heartbeats). */
  sessions(): IterableIterator<Session>;
  /** Ends a session now (application logout, server shutdown). */
  end(session: Session): void;
  /** Looks a session up by id only — for routing, never for authority. */
  peek(id: string): Session | undefined;
}

export interface RegistryOptions {
  readonly ttlMs: number;
  readonly idBits: number;
  readonly tokenBits: number;
  readonly outbox: Omit<OutboxOptions, 'sessionId' | 'deliver'>;
  readonly now?: () => number;
  /** How many expired session ids to remember so resume can say session_expired (bounded). */
  readonly tombstones?: number;
}

interface Entry {
  session: MutableSession;
  digest: Buffer;
}

interface MutableSession extends Session {
  attachment: Attachment | undefined;
  detachedAt: number | undefined;
}

export function createSessionRegistry(options: RegistryOptions): SessionRegistry {
  const now = options.now ?? Date.now;
  const live = new Map<string, Entry>();
  // Expired ids with their token digests, oldest first; Map keeps insertion order.
  const tombstones = new Map<string, Buffer>();
  const maxTombstones = options.tombstones ?? 10_000;

  const bury = (id: string, digest: Buffer): void => {
    tombstones.set(id, digest);
    if (tombstones.size > maxTombstones) tombstones.delete(tombstones.keys().next().value as string);
  };

  return {
    get size() {
      return live.size;
    },
    create(protocolVersion) {
      let id = randomId(options.idBits);
      while (live.has(id) || tombstones.has(id)) id = randomId(options.idBits); // 2^-128, but never reuse
      const token = randomId(options.tokenBits);
      const session: MutableSession = {
        id,
        createdAt: now(),
        protocolVersion,
        attachment: undefined,
        detachedAt: now(),
        data: new Map(),
        outbox: createOutbox({
          ...options.outbox,
          sessionId: id,
          deliver: (frame, seq) => session.attachment?.send(frame, seq),
        }),
      };
      live.set(id, { session, digest: tokenDigest(token) });
      return { session, token };
    },
    authenticate(id, token) {
      const entry = live.get(id);
      if (entry) return tokenMatches(token, entry.digest) ? { ok: true, session: entry.session } : { ok: false, reason: 'unknown_session' };
      const digest = tombstones.get(id);
      // Only the holder of the right token learns that the session expired (S3: no oracle).
      if (digest && tokenMatches(token, digest)) return { ok: false, reason: 'session_expired' };
      tokenMatches(token, tokenDigest('')); // same work on every path
      return { ok: false, reason: 'unknown_session' };
    },
    attach(session, attachment) {
      const s = live.get(session.id)?.session;
      if (!s) throw new Error(`session ${session.id} is not live`);
      const previous = s.attachment;
      s.attachment = attachment;
      s.detachedAt = undefined;
      if (previous && previous !== attachment) {
        previous.close({ code: 'superseded', message: `a newer ${attachment.kind} connection took over this session` });
      }
    },
    detach(session, attachment) {
      const s = live.get(session.id)?.session;
      if (!s || s.attachment !== attachment) return;
      s.attachment = undefined;
      s.detachedAt = now();
    },
    sweep(at) {
      const expired: Session[] = [];
      for (const [id, entry] of live) {
        const s = entry.session;
        if (s.attachment === undefined && s.detachedAt !== undefined && at - s.detachedAt >= options.ttlMs) {
          live.delete(id);
          bury(id, entry.digest);
          expired.push(s);
        }
      }
      return expired;
    },
    sessions() {
      const it = live.values();
      return (function* () {
        for (const e of it) yield e.session;
      })();
    },
    end(session) {
      const entry = live.get(session.id);
      if (!entry) return;
      live.delete(session.id);
      bury(session.id, entry.digest);
      const a = entry.session.attachment;
      entry.session.attachment = undefined;
      a?.close({ code: 'session_expired', message: 'the session was ended by the server' });
    },
    peek(id) {
      return live.get(id)?.session;
    },
  };
}
