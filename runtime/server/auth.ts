/**
 * Identity (A1–A3): the application's `authenticate` hook, called on every entry — WebSocket
 * upgrade, SSE, poll, POST, history — before any protocol work, and what it decides: a principal,
 * or a typed refusal (`unauthorized` 401 / 4401, `forbidden` 403 / 4403). A principal is reduced
 * to an owner key: the session is bound to it (A2: another owner's resume, poll, POST is refused
 * exactly like an unknown session) and counted under it (L2: sessions per principal). Without a
 * hook every request is anonymous: owner '' and counted by its address.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { addressKey, type ClientKey } from './session-limiter.js';

/** Where a request entered the server (A1: every one of them is authenticated). */
export type Entry = 'websocket' | 'sse' | 'poll' | 'messages' | 'history';

/** A1: what `authenticate` sees of a request. */
export interface AuthRequest {
  readonly method: string;
  /** The URL the client asked for, a framework's mount path included (Express's `originalUrl`). */
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** The peer's address (behind a proxy: the proxy's; read the client's from the proxy's header). */
  readonly remoteAddress: string | undefined;
  /** Which entry of the protocol the request is. */
  readonly entry: Entry;
  /** The node:http request itself, for what a framework put on it (Express's `req.user`, say). */
  readonly raw: IncomingMessage;
}

/** A3: a refusal, typed: `unauthorized` (no or bad credentials: 401, close 4401) or `forbidden` (known, not allowed: 403, close 4403). */
export interface AuthRefusal {
  readonly refuse: 'unauthorized' | 'forbidden';
  /** Told to the client in the refusal (default: a sentence naming the refusal). */
  readonly message?: string | undefined;
  /** A refusal names no principal (and so adds none to the inferred principal type). */
  readonly principal?: never;
}

/** What `authenticate` returns: `{ principal }` or `{ refuse }`. */
export type AuthResult<Principal> = { readonly principal: Principal } | AuthRefusal;

/**
 * A1: decides who a request is. Called on every entry before any protocol work; may be async.
 * The principal is the application's own type (a user id, a user record): it is handed to every
 * handler and hook as `ctx.principal`, and reduced to an owner key (`principalKey`) that the
 * session is bound to. It should name who the caller is, not the credential they used (a
 * refreshed token must give the same principal, or the session looks like someone else's).
 */
export type Authenticate<Principal> = (request: AuthRequest) => AuthResult<Principal> | Promise<AuthResult<Principal>>;

/**
 * A2: whether `principal` may read the history of these path parameters. `false` is answered
 * exactly like a log that does not exist (404: no oracle); a refusal object answers 401/403.
 */
export type Authorize<Principal, Params> = (principal: Principal, params: Params) => boolean | AuthRefusal | Promise<boolean | AuthRefusal>;

/** Who a request is, once authenticated: what the core binds sessions to and counts them under. */
export interface Identity {
  /** The application's principal (undefined when anonymous). */
  readonly principal: unknown;
  /** A2: the owner key sessions are bound to; '' when anonymous. */
  readonly owner: string;
  /** L2: the key the session limiter counts under: the owner, or the client address when anonymous. */
  readonly clientKey: string;
}

/** The statuses and close codes of the two refusals (A3). */
export const REFUSALS = {
  unauthorized: { status: 401, close: 4401, message: 'the request carries no valid credentials; sign in and connect again' },
  forbidden: { status: 403, close: 4403, message: 'these credentials may not use this service' },
} as const;

/**
 * The owner key of a principal: its JSON with object keys sorted (two principals that are equal
 * as JSON are the same owner). A string principal is its own key. A principal must be JSON: it
 * is stored with the session (on Redis too).
 */
export function canonicalKey(principal: unknown): string {
  if (typeof principal === 'string') return principal;
  const text = JSON.stringify(principal, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value,
  );
  if (text === undefined) throw new TypeError('contractgen runtime: a principal must be JSON (an object, an array, a string, a number or a boolean)');
  return text;
}

export interface GateOptions<Principal> {
  readonly authenticate?: Authenticate<Principal> | undefined;
  /** The owner key of a principal (default `canonicalKey`). */
  readonly principalKey?: ((principal: Principal) => string) | undefined;
  /** L2: the key of an anonymous request (its address by default). */
  readonly clientKey?: ClientKey | undefined;
  /** Told when the hook throws (the request is answered 500, a WebSocket closed 1011). */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Why a request did not pass: a refusal of the application (A3), or a hook that threw (500 / 1011). */
export interface GateRefusal {
  readonly ok: false;
  readonly code: 'unauthorized' | 'forbidden' | 'handler_failed';
  readonly status: number;
  /** The WebSocket close code. */
  readonly close: number;
  readonly message: string;
}

/** An entry's request authenticated: the identity, or why not. */
export type GateOutcome = { readonly ok: true; readonly identity: Identity } | GateRefusal;

/** A1: the gate every entry passes before any protocol work. */
export interface Gate {
  /** Whether an `authenticate` hook is configured (no hook: every request is anonymous). */
  readonly authenticates: boolean;
  /** Authenticates one request; never rejects. */
  pass(req: IncomingMessage, url: URL, entry: Entry): Promise<GateOutcome>;
  /** A2: the owner key of a principal (fan-out to its sessions). */
  ownerOf(principal: unknown): string;
}

const FAILED: GateRefusal = { ok: false, code: 'handler_failed', status: 500, close: 1011, message: 'the server could not authenticate the request; try again later' };

/** A3: the refusal of the application's verdict. */
export function refusalOf(result: AuthRefusal): GateRefusal {
  const refuse = result.refuse === 'forbidden' ? 'forbidden' : 'unauthorized';
  const message = typeof result.message === 'string' && result.message !== '' ? result.message : REFUSALS[refuse].message;
  return { ok: false, code: refuse, status: REFUSALS[refuse].status, close: REFUSALS[refuse].close, message };
}

export function createGate<Principal>(options: GateOptions<Principal>): Gate {
  const { authenticate } = options;
  const clientKey = options.clientKey ?? addressKey;
  const keyOf = options.principalKey ?? canonicalKey;
  const decide = async (req: IncomingMessage, url: URL, entry: Entry): Promise<GateOutcome> => {
    if (!authenticate) return { ok: true, identity: { principal: undefined, owner: '', clientKey: clientKey(req) } };
    const result = await authenticate({ method: req.method ?? 'GET', url: withHost(url, req), headers: req.headers, remoteAddress: req.socket?.remoteAddress, entry, raw: req });
    if (result === null || typeof result !== 'object') throw new TypeError('contractgen runtime: authenticate must return { principal } or { refuse: "unauthorized" | "forbidden" }');
    if ('refuse' in result) return refusalOf(result);
    const owner = keyOf(result.principal);
    if (typeof owner !== 'string' || owner === '') throw new TypeError('contractgen runtime: principalKey must return a non-empty string');
    // The limiter's keys of principals and of addresses never collide.
    return { ok: true, identity: { principal: result.principal, owner, clientKey: `principal:${owner}` } };
  };
  return {
    authenticates: authenticate !== undefined,
    ownerOf: (principal) => keyOf(principal as Principal),
    pass(req, url, entry) {
      return decide(req, url, entry).catch((error: unknown) => {
        try {
          options.onError?.(error);
        } catch {
          // A failing error hook must not break the request.
        }
        return FAILED;
      });
    },
  };
}

/** The URL with the request's own Host (when it is a valid one) instead of the placeholder origin. */
function withHost(url: URL, req: IncomingMessage): URL {
  const host = req.headers.host;
  if (typeof host !== 'string' || host === '') return url;
  try {
    const scheme = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
    const out = new URL(`${url.pathname}${url.search}`, `${scheme}://${host}`);
    return out.host === host.toLowerCase() ? out : url;
  } catch {
    return url;
  }
}

/** The URL a request asked for: a framework that strips its mount path from `url` keeps the whole one in `originalUrl` (Express). */
export function originalTarget(req: IncomingMessage): string {
  const original = (req as { originalUrl?: unknown }).originalUrl;
  return typeof original === 'string' && original.startsWith('/') ? original : (req.url ?? '/');
}
