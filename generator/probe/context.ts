/**
 * Probe stage 3 — context: the moves a check makes against a live server over one transport
 * (open a session, send the conformance trigger, collect data, resume from a cursor, wait for
 * quiet), and the evidence helpers that turn what came back into one readable line. A check
 * fails by throwing `ProbeFailure` with its evidence.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TransportKind } from '../model.js';
import { clip, Recorder, urlFor, type Link, type LinkEnvironment, type PostAnswer, type Received } from './link.js';
import { connectPoll } from './poll-link.js';
import type { ProbeSpec } from './spec.js';
import { connectSse } from './sse-link.js';
import { connectWebSocket, type OpenOptions, type ResumeOptions } from './websocket-link.js';

/** A check did not hold; `message` is the evidence. */
export class ProbeFailure extends Error {}

export function fail(evidence: string): never {
  throw new ProbeFailure(evidence);
}

export interface SessionRef {
  readonly id: string;
  readonly token: string;
}

export interface OpenedSession {
  readonly link: Link;
  readonly hello: Received;
  readonly session: SessionRef;
}

// ---------------------------------------------------------------------------------------------
// Evidence

/** One frame in a few words: `agent.event #3`, `protocol.error session_required`, … */
export function describe(r: Received | undefined): string {
  if (!r) return 'nothing';
  const { type, header, payload } = r.frame;
  if (r.data) return `${type} #${typeof header.seq === 'number' ? header.seq : 'without seq'}`;
  if (type === 'protocol.error') return `protocol.error ${String(payload.code)}`;
  if (type === 'protocol.resume_failed') return `resume_failed ${String(payload.reason)}`;
  if (type === 'protocol.resumed') return `resumed {from_seq ${String(payload.from_seq)}, latest_seq ${String(payload.latest_seq)}}`;
  if (type === 'protocol.hello') return `hello (latest_seq ${String(payload.latest_seq)})`;
  return type;
}

/** Frames in a few words each, long runs of data shortened to a seq range. */
export function describeAll(frames: readonly Received[]): string {
  if (frames.length === 0) return 'nothing';
  const parts: string[] = [];
  let run: Received[] = [];
  const flush = (): void => {
    if (run.length > 2) parts.push(`${run[0]!.frame.type} ${seqRange(run.map(seqOf))}`);
    else parts.push(...run.map(describe));
    run = [];
  };
  for (const f of frames) {
    if (f.data) run.push(f);
    else {
      flush();
      parts.push(describe(f));
    }
  }
  flush();
  return clip(parts.join(', '), 240);
}

export function seqOf(r: Received): number | undefined {
  const s = r.frame.header.seq;
  return typeof s === 'number' ? s : undefined;
}

/** Seqs in few words: `1..5`, `1..3, 5, 7..9`, `120 down to 90`, `10 × no seq`. */
export function seqRange(seqs: readonly (number | undefined)[]): string {
  if (seqs.length === 0) return '(none)';
  const out: string[] = [];
  let i = 0;
  while (i < seqs.length) {
    const start = seqs[i];
    let j = i;
    if (start === undefined) {
      while (j + 1 < seqs.length && seqs[j + 1] === undefined) j++;
      out.push(j > i ? `${j - i + 1} × no seq` : 'no seq');
    } else {
      const step = seqs[i + 1] === start - 1 ? -1 : 1;
      while (j + 1 < seqs.length && seqs[j + 1] === (seqs[j] as number) + step) j++;
      out.push(j === i ? String(start) : step === 1 ? `${start}..${seqs[j]!}` : `${start} down to ${seqs[j]!}`);
    }
    i = j + 1;
  }
  return clip(out.join(', '), 200);
}

/** `from..to` as a list. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A random id in the alphabet of session ids (base64url) — well-formed, never issued. */
export function randomToken(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 3)
    .toString('base64url')
    .slice(0, length);
}

// ---------------------------------------------------------------------------------------------
// The transport context

/** The timers the server runs with: the spec's, or the test timers `--timers` names. */
export interface Timers {
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  readonly holdMs: number;
  /** Whether they came from --timers (the server runs with test timers). */
  readonly given: boolean;
}

/** The timers of the spec, with what --timers names in their place. */
export function timersOf(spec: ProbeSpec, given: Partial<Omit<Timers, 'given'>> | undefined): Timers {
  const m = spec.model;
  const hold = m.transports.find((t) => t.kind === 'poll')?.holdMs ?? 0;
  return { ttlMs: given?.ttlMs ?? m.session.ttlMs, heartbeatMs: given?.heartbeatMs ?? m.heartbeatMs, holdMs: given?.holdMs ?? hold, given: given !== undefined };
}

/** A raw HTTP answer, for checks that look at statuses and bodies themselves. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  readonly json: unknown;
  /** `METHOD /path?query → status body`, for evidence. */
  readonly shown: string;
}

export interface ContextOptions {
  readonly spec: ProbeSpec;
  readonly base: URL;
  readonly kind: TransportKind;
  readonly timeoutMs: number;
  /** How long "nothing more arrives" is waited for. */
  readonly quietMs: number;
  readonly recorder: Recorder;
  readonly timers: Timers;
  /** Links to drop with this context's (a context for another transport shares them). */
  readonly links?: Set<Link>;
  /** Whether --only or --skip left checks out (an audit with nothing to read then skips). */
  readonly partial?: boolean;
  /** A1: the application's credentials (`--header`), sent with every request. */
  readonly credentials?: Readonly<Record<string, string>> | undefined;
  /** A2: the credentials of another principal (`--other-header`), for the checks that one principal cannot use another's session. */
  readonly otherCredentials?: Readonly<Record<string, string>> | undefined;
}

export class TransportContext {
  readonly spec: ProbeSpec;
  readonly kind: TransportKind;
  readonly timeoutMs: number;
  readonly quietMs: number;
  readonly recorder: Recorder;
  readonly timers: Timers;
  readonly partial: boolean;
  /** Every version of the spec, as a client that speaks them all offers them (H2). */
  readonly versions: string;
  readonly base: URL;
  readonly credentials: Readonly<Record<string, string>>;
  readonly otherCredentials: Readonly<Record<string, string>> | undefined;
  private readonly links: Set<Link>;
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(o: ContextOptions) {
    this.spec = o.spec;
    this.kind = o.kind;
    this.timeoutMs = o.timeoutMs;
    this.quietMs = o.quietMs;
    this.recorder = o.recorder;
    this.timers = o.timers;
    this.base = o.base;
    this.links = o.links ?? new Set();
    this.partial = o.partial ?? false;
    this.credentials = o.credentials ?? {};
    this.otherCredentials = o.otherCredentials;
    this.versions = o.spec.model.protocolVersions.join(',');
  }

  get produces(): number {
    return this.spec.conformance.produces;
  }

  get origin(): number {
    return this.spec.model.seqOrigin;
  }

  /** HTTP transports answer over HTTP with a status (poll) — for evidence. */
  statusOf(link: Link): string {
    return this.kind === 'poll' ? ` (HTTP ${link.status})` : '';
  }

  private env(): LinkEnvironment {
    return { spec: this.spec, base: this.base, recorder: this.recorder, timeoutMs: this.timeoutMs, track: (l) => this.links.add(l), holdMs: this.timers.holdMs, headers: this.credentials };
  }

  /** The transport's path (and messages path) in the spec. */
  path(which: 'path' | 'messagesPath' = 'path'): string {
    const t = this.spec.model.transports.find((x) => x.kind === this.kind)!;
    return (which === 'path' ? t.path : t.messagesPath) ?? '';
  }

  /** One HTTP request under the base URL; `query` is a raw query string. */
  async http(method: string, path: string, o: { readonly query?: string; readonly headers?: Readonly<Record<string, string>>; readonly body?: string } = {}): Promise<HttpAnswer> {
    const url = urlFor(this.base, path);
    url.search = o.query ?? '';
    const res = await fetch(url, { method, headers: { ...this.credentials, ...o.headers }, ...(o.body !== undefined ? { body: o.body } : {}), signal: AbortSignal.timeout(this.timeoutMs + this.timers.holdMs) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json, shown: `${method} ${path}${o.query ? `?${o.query}` : ''} → HTTP ${res.status} ${clip(text, 160)}` };
  }

  private connect(options: OpenOptions & { readonly resume?: ResumeOptions & { readonly flag?: boolean } }): Promise<Link> {
    const env = this.env();
    switch (this.kind) {
      case 'websocket':
        return connectWebSocket(env, options);
      case 'sse':
        return connectSse(env, options);
      case 'poll':
        return connectPoll(env, options);
    }
  }

  /**
   * A new attachment; `versions` null leaves the parameter out. `sessionId` (WebSocket) opens a
   * resuming connection that has sent nothing yet; `query` and `headers` go with an SSE or poll GET.
   */
  open(o: { readonly versions?: string | null } & Omit<OpenOptions, 'versions'> = {}): Promise<Link> {
    const options: OpenOptions = { ...o, versions: o.versions === null ? undefined : (o.versions ?? this.versions) };
    return this.connect(options);
  }

  /** A new session: opens and reads the hello (which must come first, H1). */
  async openSession(): Promise<OpenedSession> {
    const link = await this.open();
    const hello = await link.next(this.timeoutMs);
    if (hello?.frame.type !== 'protocol.hello' || !link.session) {
      fail(`a new ${this.kind} connection was answered with ${describeAll(link.log)}${link.ended ? `, then ended${this.endText(link)}` : ''}; expected protocol.hello first`);
    }
    return { link, hello, session: link.session };
  }

  endText(link: Link): string {
    const e = link.ended;
    if (!e) return '';
    const parts = [e.status ? `HTTP ${e.status}` : '', e.code !== undefined ? `close ${e.code}` : '', e.reason ?? '', e.body !== undefined && link.log.length === 0 ? `body ${e.body || '(empty)'}` : ''].filter(Boolean);
    return parts.length ? ` (${parts.join(', ')})` : '';
  }

  /**
   * R1: a resume of `session` from `lastSeenSeq` on a new attachment. `flag` false leaves out
   * poll's resume=1; `headers` go with the SSE GET (Last-Event-ID).
   */
  resume(session: SessionRef, lastSeenSeq: number, o: { readonly versions?: string; readonly flag?: boolean; readonly headers?: Readonly<Record<string, string>> } = {}): Promise<Link> {
    const options = {
      versions: o.versions ?? this.versions,
      ...(o.headers ? { headers: o.headers } : {}),
      resume: { sessionId: session.id, token: session.token, lastSeenSeq, ...(o.flag === false ? { flag: false } : {}) },
    };
    return this.connect(options);
  }

  /** A transport of another kind on the same server (R2.3: resume anywhere). */
  other(kind: TransportKind): TransportContext {
    return new TransportContext({ spec: this.spec, base: this.base, kind, timeoutMs: this.timeoutMs, quietMs: this.quietMs, recorder: new Recorder(this.spec), timers: this.timers, links: this.links, credentials: this.credentials, otherCredentials: this.otherCredentials });
  }

  /** A2: this transport as another principal (`--other-header`), or undefined when none was given. */
  asOther(): TransportContext | undefined {
    if (!this.otherCredentials) return undefined;
    return new TransportContext({ spec: this.spec, base: this.base, kind: this.kind, timeoutMs: this.timeoutMs, quietMs: this.quietMs, recorder: this.recorder, timers: this.timers, links: this.links, credentials: this.otherCredentials });
  }

  /** The conformance trigger frame; `sessionId` null leaves header.session_id out. */
  triggerFrame(sessionId: string | null): object {
    const { trigger } = this.spec.conformance;
    return { type: trigger.type, header: sessionId === null ? {} : { session_id: sessionId }, payload: trigger.payload };
  }

  /** Sends the trigger `times` times on the link's session; a refused POST fails the check. */
  async trigger(link: Link, times = 1, session: SessionRef | undefined = link.session): Promise<void> {
    if (!session) fail('no session to trigger');
    for (let i = 0; i < times; i++) {
      const answer = await link.send(this.triggerFrame(session.id), { token: session.token });
      if (answer && (answer.status < 200 || answer.status > 299)) {
        fail(`the trigger ${this.spec.conformance.trigger.type} was refused: HTTP ${answer.status} ${clip(JSON.stringify(answer.body) ?? '')}`);
      }
    }
  }

  /** The next `n` data frames; anything else, or too little in time, fails with what came. */
  async takeData(link: Link, n: number, what: string): Promise<Received[]> {
    const out: Received[] = [];
    while (out.length < n) {
      const r = await link.next(this.timeoutMs);
      if (!r || !r.data) {
        const got = `${describeAll(out)}${r ? `, then ${describe(r)}` : ''}`;
        fail(`${what}: expected ${n} data messages, got ${got}${r ? '' : ` and nothing more within ${this.timeoutMs} ms${link.ended ? `; the link ended${this.endText(link)}` : ''}`}`);
      }
      out.push(r);
    }
    return out;
  }

  /** Data frames until one with seq >= `target` arrived (or fails with what came). */
  async dataUntil(link: Link, target: number, what: string): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const last = out.length ? seqOf(out[out.length - 1]!) : undefined;
      if (last !== undefined && last >= target) return out;
      const r = await link.next(this.timeoutMs);
      if (!r || !r.data) {
        fail(`${what}: waited for data up to seq ${target}, got ${describeAll(out)}${r ? `, then ${describe(r)}` : ` and nothing more within ${this.timeoutMs} ms`}`);
      }
      out.push(r);
    }
  }

  /** Frames (heartbeats aside) that arrive within the quiet period. */
  async quiet(link: Link, ms = this.quietMs): Promise<Received[]> {
    const out: Received[] = [];
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return out;
      const r = await link.next(left);
      if (!r) {
        if (link.ended) return out;
        continue;
      }
      out.push(r);
    }
  }

  /** Everything a refusal brings: frames until the link ends or goes quiet. */
  async answer(link: Link): Promise<Received[]> {
    const first = await link.next(this.timeoutMs);
    return first ? [first, ...(await this.quiet(link))] : [];
  }

  /** Sends one frame and returns what answers it: the POST answer (HTTP), or the next frames (WebSocket). */
  async sendAndRead(link: Link, frame: object, token?: string | null): Promise<{ post: PostAnswer | undefined; frames: Received[] }> {
    const post = await link.send(frame, token === undefined ? {} : { token });
    if (post) return { post, frames: [] };
    const first = await link.next(this.timeoutMs);
    return { post, frames: first ? [first] : [] };
  }

  /** Computes `fn` once per transport (a session overfilled past the window, say). */
  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memos.set(key, p);
    }
    return p;
  }

  /** Drops every link a check left open. */
  dropAll(): void {
    for (const l of this.links) l.drop();
    this.links.clear();
  }

  async pause(ms: number): Promise<void> {
    await sleep(ms);
  }
}

