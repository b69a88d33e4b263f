/**
 * Q3: the one way a data message reaches a transport. `append` validates the frame, checks its
 * size, and hands it to the session store, which stamps `header.seq` atomically (1-based,
 * gap-free, per session), keeps it in the replay window and delivers it to the attachment. A
 * frame that fails validation or is too large throws at once and never consumes a seq; a frame
 * the store could not keep rejects the returned promise (and is reported): it was not sent.
 */
import { describeIssues, type Validator } from '../validation.js';
import { frameParts, type SessionStore } from './store.js';

/** Thrown to the application code that tried to emit a frame the contract does not allow. */
export class OutboundRejectedError extends Error {
  readonly code: 'invalid_message' | 'frame_too_large' | 'not_a_data_message';
  constructor(code: OutboundRejectedError['code'], message: string) {
    super(message);
    this.name = 'OutboundRejectedError';
    this.code = code;
  }
}

export interface Outbox {
  /** Validates, stamps, stores and delivers one data message; resolves to its seq. `cseq` names the client frame it is the reply to (C4). */
  append(sessionId: string, type: string, payload: unknown, cseq?: number): Promise<number>;
  /**
   * Validates and serializes a data message once, without sending it: fan-out prepares before
   * listing sessions, then appends the same message to each. Throws OutboundRejectedError.
   */
  prepare(type: string, payload: unknown): PreparedMessage;
  /** `append` of a prepared message: the size check, the stamp, the store. */
  appendPrepared(sessionId: string, message: PreparedMessage, cseq?: number): Promise<number>;
}

/** A data message that passed validation, with its payload's JSON. */
export interface PreparedMessage {
  readonly type: string;
  readonly json: string;
}

export interface OutboxOptions {
  readonly store: SessionStore;
  readonly maxFrameBytes: number;
  /** Payload validators of the server-to-client data messages, by type. */
  readonly validators: Readonly<Record<string, Validator<unknown>>>;
  /** Told about every append the store refused (the caller's promise rejects too). */
  readonly onStoreError?: ((error: unknown, where: { readonly sessionId: string; readonly type: string }) => void) | undefined;
}

/** Enough digits for any safe integer seq. */
const SEQ_DIGITS = 16;

export function createOutbox(options: OutboxOptions): Outbox {
  const prepare = (type: string, payload: unknown): PreparedMessage => {
    const validate = options.validators[type];
    if (!validate) throw new OutboundRejectedError('not_a_data_message', `"${type}" is not a server-to-client data message of this contract`);
    // The runtime builds the envelope (type, session_id, seq) itself: the payload is what to check.
    const result = validate(payload);
    if (!result.ok) throw new OutboundRejectedError('invalid_message', `refused to send an invalid ${type}: ${describeIssues(result)}`);
    return { type, json: JSON.stringify(payload) };
  };
  const appendPrepared = (sessionId: string, { type, json }: PreparedMessage, cseq?: number): Promise<number> => {
    const parts = frameParts(type, sessionId, json, cseq);
    if (parts.bytes + SEQ_DIGITS > options.maxFrameBytes) {
      throw new OutboundRejectedError('frame_too_large', `refused to send a ${type} of about ${parts.bytes} bytes; the contract allows ${options.maxFrameBytes}`);
    }
    let appended: number | Promise<number>;
    try {
      appended = options.store.append(sessionId, parts);
    } catch (error) {
      appended = Promise.reject(error);
    }
    if (typeof appended === 'number') return Promise.resolve(appended);
    // Reported even when nobody awaits the promise; an awaiting caller still sees the rejection.
    appended.catch((error: unknown) => options.onStoreError?.(error, { sessionId, type }));
    return appended;
  };
  return {
    prepare,
    appendPrepared,
    append: (sessionId, type, payload, cseq) => appendPrepared(sessionId, prepare(type, payload), cseq),
  };
}
