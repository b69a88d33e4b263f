/**
 * L2: every bound a server of the contract keeps, with its default. A spec may set any of them
 * in `x-contract.limits` (the generated contract.ts carries every value, resolved); a server may
 * override any of them per deployment (`limits` in the server options). Shared by the server,
 * the client (which splits its POST batches by `maxFramesPerPost`) and the generator (whose
 * model fills the defaults from here, so the docs show the numbers the runtime enforces).
 */

export interface ContractLimits {
  /** Sessions one server process holds, attached or in their TTL. Refusal: `overloaded`, HTTP 503, WebSocket 1013. */
  readonly maxSessions: number;
  /** Sessions per client key (its address, until a principal replaces it). Refusal: `overloaded`, HTTP 429, WebSocket 1013. */
  readonly maxSessionsPerClient: number;
  /** New sessions per second per process (a token bucket with one second of burst). Refusal: `overloaded`, HTTP 429, WebSocket 1013. */
  readonly maxSessionsPerSecond: number;
  /** Bytes of client frames a session has received and its handlers not yet finished. WebSocket: the socket is not read (TCP backpressure); POST: `overloaded`, HTTP 429. */
  readonly maxInboundBytes: number;
  /** Frames in one POST body (the body limit is this many full-size frames). Refusal: `overloaded`, HTTP 413, nothing handled. */
  readonly maxFramesPerPost: number;
  /** Error frames in one POST answer: after this many refusals the rest of the batch is not handled and one `overloaded` frame says so. */
  readonly maxErrorFrames: number;
  /** Bytes of data in one poll answer; a client may ask for less with `max_bytes`. One frame always goes, however large. */
  readonly maxPollBytes: number;
  /** Frames of data in one poll answer; a client may ask for fewer with `max`. */
  readonly maxPollFrames: number;
  /** Bytes written to one connection and not yet taken by the client. Beyond: `slow_consumer` — the connection is closed (WebSocket 4005) or its socket destroyed, the session waits for a resume. */
  readonly maxBufferedBytes: number;
}

export type LimitName = keyof ContractLimits;

/** Defaults that do not depend on other parameters of the contract. */
export const DEFAULT_LIMITS = {
  maxSessions: 10_000,
  maxSessionsPerClient: 1_000,
  maxSessionsPerSecond: 1_000,
  maxInboundBytes: 1024 * 1024,
  maxFramesPerPost: 16,
  maxErrorFrames: 8,
  maxPollFrames: 1_000,
} as const satisfies Partial<ContractLimits>;

/** The names of every limit, in the order the docs list them. */
export const LIMIT_NAMES: readonly LimitName[] = ['maxSessions', 'maxSessionsPerClient', 'maxSessionsPerSecond', 'maxInboundBytes', 'maxFramesPerPost', 'maxErrorFrames', 'maxPollBytes', 'maxPollFrames', 'maxBufferedBytes'];

interface LimitBasis {
  readonly maxFrameBytes: number;
  readonly replayWindow: { readonly maxBytes: number };
}

const MiB = 1024 * 1024;

/**
 * The effective limits: `overrides` (server options) over `declared` (x-contract.limits) over
 * the defaults. Two defaults follow the contract: a poll answer carries up to 256 KiB (never less
 * than one frame, never more than the replay window), and a connection may fall 8 MiB or eight
 * replay windows behind, whichever is more. Throws a RangeError naming a value that is not a
 * positive integer.
 */
export function resolveLimits(basis: LimitBasis, declared?: Partial<ContractLimits>, overrides?: Partial<ContractLimits>): ContractLimits {
  const derived: ContractLimits = {
    ...DEFAULT_LIMITS,
    maxPollBytes: Math.max(basis.maxFrameBytes, Math.min(256 * 1024, basis.replayWindow.maxBytes)),
    maxBufferedBytes: Math.max(8 * basis.replayWindow.maxBytes, 8 * MiB),
  };
  const out: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const value = overrides?.[name] ?? declared?.[name] ?? derived[name];
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`contractgen runtime: limits.${name} must be a positive integer, got ${String(value)}`);
    out[name] = value;
  }
  return out as unknown as ContractLimits;
}
