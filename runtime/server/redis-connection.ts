/**
 * The little of a Redis client that the Redis stores use, as structural interfaces: an `ioredis`
 * instance satisfies them, and `generated/` type-checks without any Redis package installed.
 * Scripts run with EVALSHA and fall back to EVAL when the server does not know them yet (a fresh
 * or restarted Redis), so every multi-step operation is one atomic script.
 */
import { createHash } from 'node:crypto';
import { StoreUnavailableError } from './store.js';

/** Scalar arguments of a command. */
export type RedisArg = string | number;

/** The commands connection: scripts only (one round trip each, atomic). */
export interface RedisLike {
  evalsha(sha1: string, numkeys: number, ...args: RedisArg[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: RedisArg[]): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** The subscriber connection (a subscribed connection cannot run other commands, hence a second one). */
export interface RedisSubscriberLike {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  removeListener(event: 'message', listener: (channel: string, message: string) => void): unknown;
  removeListener(event: 'ready', listener: () => void): unknown;
  quit(): Promise<unknown>;
}

/** A Lua script and its SHA-1. */
export interface RedisScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

export function defineScript(name: string, lua: string): RedisScript {
  return { name, lua, sha: createHash('sha1').update(lua, 'utf8').digest('hex') };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a script: EVALSHA, and EVAL when Redis answers NOSCRIPT (which also caches it there). */
export async function runScript(redis: RedisLike, script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!messageOf(error).startsWith('NOSCRIPT')) throw error;
    return await redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}

/** The error a store rejects with: what failed, for which session, and Redis' own words. */
export function unavailable(what: string, error: unknown): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(`redis store: ${what} failed: ${messageOf(error)}`, { cause: error });
}

/** An error Redis itself answered (a script error, OOM): the command reached the server. */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** ioredis' answer when the connection is down and the offline queue is off: the command was never sent. */
export function isNotSent(error: unknown): boolean {
  return /enableOfflineQueue|isn't writeable/i.test(messageOf(error));
}

/**
 * The client options a connection must have so that failures surface at once instead of queueing
 * (ioredis spells them this way; a client without an `options` object is taken as configured).
 * maxRetriesPerRequest must be 0: with 1 or more, a command in flight when the connection drops is
 * re-sent after reconnecting (an append could be stored twice) or, with
 * autoResendUnfulfilledCommands off, never settled at all.
 */
export const REQUIRED_COMMAND_OPTIONS = { enableOfflineQueue: false, maxRetriesPerRequest: 0 } as const;
/**
 * autoResubscribe must be off: ioredis re-sends SUBSCRIBE after a reconnect without handling its
 * promise, so a connection cut again before Redis answers is an unhandled rejection (a crash under
 * Node's default). The store subscribes again itself on 'ready', and handles the failure.
 */
export const REQUIRED_SUBSCRIBER_OPTIONS = { enableOfflineQueue: false, autoResubscribe: false } as const;

/** Throws a TypeError naming the option when a connection is configured to queue or re-send. */
export function checkConnectionOptions(connection: object, role: string, required: Readonly<Record<string, unknown>>): void {
  const options = (connection as { options?: unknown }).options;
  if (typeof options !== 'object' || options === null) return;
  for (const [name, want] of Object.entries(required)) {
    const got = (options as Record<string, unknown>)[name];
    if (got !== want) {
      const all = Object.entries(required)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join(', ');
      throw new TypeError(
        `redis store: the ${role} connection has ${name}: ${String(got)}; create it with { ${all} } so that a lost Redis fails operations at once and each failure reaches the caller, instead of being queued, re-sent or left unhandled`,
      );
    }
  }
}
