/**
 * Client frames from text (S2, S5, L1): the size, the JSON, then the contract's validator, and
 * the frames of a POST body (L2: at most `maxFramesPerPost`, each measured). Every refusal is a
 * typed protocol.error with the HTTP status that fits it; client text in it is cut short and a
 * request_id is echoed only when it is one. Nothing here throws, whatever the input.
 */
import type { ContractDescriptor } from '../contract.js';
import { clip, errorFrame, type ErrorCode, type Frame } from '../frames.js';
import { describeIssues, type Validator } from '../validation.js';

/** A client frame after parsing and validation. */
export interface ClientFrame {
  readonly type: string;
  readonly header: { readonly session_id: string; readonly ack?: number; readonly request_id?: string; readonly cseq?: number };
  readonly payload: Readonly<Record<string, unknown>>;
}

/** HTTP status per error code, for transports that answer over HTTP. */
export const ERROR_STATUS: Readonly<Record<ErrorCode | 'window_exceeded' | 'invalid_cursor', number>> = {
  malformed_frame: 400,
  unknown_type: 400,
  invalid_message: 400,
  frame_too_large: 413,
  session_required: 400,
  unknown_session: 404,
  session_expired: 410,
  unsupported_version: 400,
  superseded: 409,
  handler_failed: 500,
  overloaded: 429,
  cseq_gap: 409,
  unauthorized: 401,
  forbidden: 403,
  window_exceeded: 410,
  invalid_cursor: 400,
};

export type Refused = { readonly ok: false; readonly frame: Frame; readonly status: number };
export type Parsed = { readonly ok: true; readonly frame: ClientFrame } | Refused;
/** A frame of a POST body, with its size (what it counts against the inbound limit). */
export type BatchItem = (Parsed & { readonly ok: true; readonly bytes: number }) | Refused;

export interface FrameParser {
  /** One frame of text. */
  parse(text: string): Parsed;
  /** A POST body: one frame, or a JSON array of at most maxFramesPerPost; else one refusal for the whole body. */
  batch(text: string): { readonly items: readonly BatchItem[] } | { readonly refusal: Refused };
}

/** A typed refusal with the status of its code (or the one given). */
export function refusal(code: ErrorCode, message: string, extra: { path?: string; requestId?: string | undefined; status?: number } = {}): Refused {
  const details = { ...(extra.path !== undefined ? { path: extra.path } : {}), ...(extra.requestId !== undefined ? { requestId: extra.requestId } : {}) };
  return { ok: false, status: extra.status ?? ERROR_STATUS[code], frame: errorFrame(code, message, details) };
}

/** A request_id is echoed only when it is one (the kernel's RequestId): never arbitrary client text. */
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** UTF-8 length: Buffer.byteLength is native and far faster than a loop (the server has Buffer). */
export const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

export function createFrameParser(options: { readonly contract: ContractDescriptor; readonly validateClient: Validator<unknown>; readonly maxFramesPerPost: number }): FrameParser {
  const { maxFrameBytes } = options.contract;
  const tooLarge = (bytes: number): Refused => refusal('frame_too_large', `a frame of ${bytes} bytes exceeds the limit of ${maxFrameBytes}`);

  /** Validates a parsed client frame. */
  const check = (value: unknown): Parsed => {
    const header = typeof value === 'object' && value !== null ? (value as { header?: unknown }).header : undefined;
    const rawId = typeof header === 'object' && header !== null ? (header as { request_id?: unknown }).request_id : undefined;
    const requestId = typeof rawId === 'string' && REQUEST_ID.test(rawId) ? rawId : undefined;
    let result: ReturnType<Validator<unknown>>;
    try {
      result = options.validateClient(value);
    } catch {
      // A schema that recurses (a tree) met a value nested past the stack: refused, not thrown.
      return refusal('invalid_message', 'the frame is nested too deeply to validate', { requestId });
    }
    // The kernel's ClientHeader (held to the kernel by lint) makes every valid client frame a ClientFrame.
    if (result.ok) return { ok: true, frame: result.value as ClientFrame };
    const first = result.issues[0]!;
    const extra = { path: clip(first.path, 200), requestId };
    if (first.keyword === 'unknown-type') return refusal('unknown_type', clip(first.message, 200), extra);
    if (first.keyword === 'not-a-message') return refusal('malformed_frame', `${extra.path || '/'} ${clip(first.message, 200)}`, extra);
    const type = result.type === undefined ? 'the frame' : clip(result.type);
    if (first.path === '/header/session_id' && first.keyword === 'required') return refusal('session_required', `${type} has no header.session_id; every client frame names its session (S5)`, extra);
    if (first.path === '/header' && first.keyword === 'required') return refusal('session_required', `${type} has no header; every client frame carries header.session_id (S5)`, extra);
    return refusal('invalid_message', clip(describeIssues(result), 1000), extra);
  };

  const parse = (text: string): Parsed => {
    const bytes = byteLength(text);
    if (bytes > maxFrameBytes) return tooLarge(bytes);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return refusal('malformed_frame', `the frame is not valid JSON (${clip((err as Error).message, 120)})`);
    }
    return check(value);
  };

  /** An item of a JSON array, measured by its JSON (JSON.stringify overflows the stack past some depth). */
  const item = (value: unknown): BatchItem => {
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch {
      return refusal('malformed_frame', 'the frame is nested too deeply');
    }
    const bytes = byteLength(text);
    if (bytes > maxFrameBytes) return tooLarge(bytes);
    const parsed = check(value);
    return parsed.ok ? { ...parsed, bytes } : parsed;
  };

  return {
    parse,
    batch(text) {
      const one = (): { items: BatchItem[] } => {
        const parsed = parse(text);
        return { items: [parsed.ok ? { ...parsed, bytes: byteLength(text) } : parsed] };
      };
      if (!text.trimStart().startsWith('[')) return one();
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch (err) {
        return { refusal: refusal('malformed_frame', `the body is not valid JSON (${clip((err as Error).message, 120)})`) };
      }
      if (!Array.isArray(list)) return one();
      if (list.length > options.maxFramesPerPost) {
        return { refusal: refusal('overloaded', `a POST carries at most ${options.maxFramesPerPost} frames, this one ${list.length}; send them in smaller batches`, { status: 413 }) };
      }
      return { items: list.map(item) };
    },
  };
}
