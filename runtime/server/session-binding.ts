/**
 * A session as this process holds it, and its binding to one attachment through the store (S4:
 * one live attachment; a new one supersedes the old). Frames the store delivers while the
 * attachment is being set up are held back until `release` — after the hello, resumed and
 * replay have been sent (R2) — so nothing overtakes them and nothing is sent twice.
 */
import type { Identity } from './auth.js';
import type { Attachment, Session } from './server-core.js';
import type { Continued, ReplayAnswer, SessionListener, SessionStore, Subscription } from './store.js';

export type ReportError = (error: unknown, where: { sessionId?: string; type?: string }) => void;

/** What this process knows of a session it serves. */
export interface LocalSession extends Session {
  protocolVersion: string;
  attachment: Attachment | undefined;
  subscription: Subscription | undefined;
  latestSeq: number;
  /** L2: who the session is counted against in the limiter. */
  readonly clientKey: string;
  /** A2: the owner key the session is bound to ('' anonymous). */
  readonly owner: string;
  principal: unknown;
  /** L2: bytes of client frames queued for, or running in, the handlers. */
  inbound: number;
  /** C2: the highest cseq this process knows the store accepted. */
  acked: number;
  /** When the session last had no attachment here (undefined while attached). */
  idleSince: number | undefined;
}

/**
 * C4: whether a data frame as the store delivers it is a reply, i.e. its header names a `cseq`.
 * Read from the text frameParts() wrote (session_id, then cseq, then seq: the type and session id
 * are JSON strings, so neither holds an unescaped `"`), without parsing the frame.
 */
export function isReply(frame: string): boolean {
  const seq = frame.indexOf(',"seq":');
  const cseq = frame.indexOf(',"cseq":');
  return cseq >= 0 && cseq < seq;
}

/** A session new to this process, of `identity`. */
export function localSession(id: string, protocolVersion: string, identity: Identity, now: number): LocalSession {
  return { id, protocolVersion, attachment: undefined, subscription: undefined, latestSeq: 0, acked: 0, data: new Map(), clientKey: identity.clientKey, owner: identity.owner, principal: identity.principal, inbound: 0, idleSince: now };
}

/**
 * S4: binds `attachment` to the session through the store (superseding any other one). Frames
 * the store delivers are held back until `release` — after the hello, resumed and replay have
 * been sent — so nothing overtakes them and nothing is sent twice.
 */
export async function bindAttachment(
  store: SessionStore,
  session: LocalSession,
  attachment: Attachment,
  reportError: ReportError,
  /** C2: called with each data frame before it goes out, so an acknowledgement still waiting goes first. */
  beforeData?: (frame: string) => void,
): Promise<Binding> {
  return (await bind(store, session, attachment, reportError, beforeData, undefined))!;
}

export interface Binding {
  /** S4.10: the attachment's id, which a poll answer hands to the client. */
  readonly attachmentId: string;
  release(afterSeq: number): void;
}

/**
 * S4.10: binds `attachment` here to the session's live poll attachment `attachmentId`, attached
 * here or in another process, without a claim; undefined when that is not the live attachment
 * any more (or the store is not shared): then the poll is a resume.
 */
export async function continueAttachment(
  store: SessionStore,
  session: LocalSession,
  attachment: Attachment,
  continuing: { readonly attachmentId: string; readonly leaseMs: number },
  reportError: ReportError,
  beforeData?: (frame: string) => void,
): Promise<Binding | undefined> {
  // An attachment this process holds for the session is the live one here: the poll names another.
  if (!store.proceed || session.attachment !== undefined) return undefined;
  return bind(store, session, attachment, reportError, beforeData, continuing);
}

async function bind(
  store: SessionStore,
  session: LocalSession,
  attachment: Attachment,
  reportError: ReportError,
  beforeData: ((frame: string) => void) | undefined,
  continuing: { readonly attachmentId: string; readonly leaseMs: number } | undefined,
): Promise<Binding | undefined> {
  let held: { frame: string; seq: number }[] | undefined = [];
  let sentUpTo = Infinity;
  const listener: SessionListener = {
    frame(frame, seq) {
      if (seq > session.latestSeq) session.latestSeq = seq;
      if (session.attachment !== attachment) return;
      if (held) held.push({ frame, seq });
      else if (seq > sentUpTo) {
        sentUpTo = seq;
        beforeData?.(frame);
        attachment.send(frame, seq);
      }
    },
    superseded() {
      if (session.attachment === attachment) {
        session.attachment = undefined;
        session.subscription = undefined;
      }
      attachment.close({ code: 'superseded', message: 'another connection took over this session' });
    },
    ended() {
      if (session.attachment === attachment) session.attachment = undefined;
      attachment.close({ code: 'session_expired', message: 'the session was ended by the server' });
    },
  };
  session.attachment = attachment;
  let subscription: Subscription;
  try {
    if (continuing) {
      const continued: Continued | undefined = await store.proceed!(session.id, continuing.attachmentId, continuing.leaseMs, listener);
      if (!continued) {
        if (session.attachment === attachment) session.attachment = undefined;
        return undefined;
      }
      subscription = continued.subscription;
      if (continued.latestSeq > session.latestSeq) session.latestSeq = continued.latestSeq;
      if (continued.acked > session.acked) session.acked = continued.acked;
    } else subscription = await store.attach(session.id, session.protocolVersion, listener);
  } catch (error) {
    // The store refused (e.g. Redis is down): the session is not bound here.
    if (session.attachment === attachment) session.attachment = undefined;
    throw error;
  }
  if (session.attachment === attachment) session.subscription = subscription;
  else {
    // The connection went away (or was superseded) while the store answered: let go of the
    // binding, or the store would hold the session attached and it would never expire.
    store.detach(subscription).catch((error: unknown) => reportError(error, { sessionId: session.id, type: 'detach' }));
  }
  return {
    attachmentId: subscription.attachmentId,
    release(afterSeq) {
      sentUpTo = afterSeq;
      const pending = held ?? [];
      held = undefined;
      for (const p of pending) listener.frame(p.frame, p.seq);
    },
  };
}

/** R2: hello/resumed already sent; the replay, then whatever arrived meanwhile. */
export function sendReplay(attachment: Attachment, answer: Extract<ReplayAnswer, { ok: true }>): void {
  for (const f of answer.frames) attachment.send(f.frame, f.seq);
}
