/**
 * Shared by the server benchmark's parent and its child processes: the benchmark message, a
 * clock that is comparable across processes, small statistics, and the child side of the IPC.
 * Node builtins only, so the children run as plain JavaScript (see ipc.ts, transpileChildren).
 */

/** The message every peer sends: the `agent.event` the generated server emits, same key order. */
export const SESSION_ID_LENGTH = 22; // randomId(128) is 16 bytes as base64url: 22 characters
export const FAKE_SESSION_ID = 'S'.repeat(SESSION_ID_LENGTH);
export const TARGET_FRAME_BYTES = 120;

/** The seq the frame size is tuned at (frames of other seqs differ by a digit or so). */
const TUNE_SEQ = 100_000;

function frameOf(sessionId: string, seq: number, text: string): string {
  return JSON.stringify({ type: 'agent.event', header: { session_id: sessionId, seq }, payload: { conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text } });
}

/** ASCII text sized so that the serialized frame at seq 100000 is TARGET_FRAME_BYTES long. */
export const TEXT = ((): string => {
  const base = frameOf(FAKE_SESSION_ID, TUNE_SEQ, '').length;
  const filler = 'streamed token text of an agent turn, plain ASCII so that bytes equal characters. ';
  return filler.repeat(4).slice(0, Math.max(1, TARGET_FRAME_BYTES - base));
})();

/** The payload handed to ctx.emit.agentEvent (and the payload of every peer's frame). */
export const PAYLOAD = { conversation_id: 'c-1', turn_id: 't-1', kind: 'text' as const, text: TEXT };

/** What a peer without the protocol serializes per message: the same object the outbox builds. */
export function rawFrame(seq: number): string {
  return JSON.stringify({ type: 'agent.event', header: { session_id: FAKE_SESSION_ID, seq }, payload: PAYLOAD });
}

/** Milliseconds since the epoch with sub-millisecond resolution; comparable across processes. */
export function hrEpoch(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Memory of this process, in bytes; `gc` forces a collection first (children run with --expose-gc). */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Peak RSS of the process so far. */
  readonly maxRss: number;
}

export async function memory(gc: boolean): Promise<MemorySample> {
  if (gc) {
    const collect = (globalThis as { gc?: () => void }).gc;
    if (collect) {
      collect();
      await immediate(); // let weak callbacks and finalizers run, then collect what they freed
      collect();
    }
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, maxRss: process.resourceUsage().maxRSS * 1024 };
}

/** A command from the parent: `id` correlates the answers, `cmd` picks the handler. */
export interface Command {
  readonly id: number;
  readonly cmd: string;
  readonly [key: string]: unknown;
}

export type Reply = (type: string, data?: Record<string, unknown>) => void;

/**
 * The child side: runs `handlers[cmd]` for each command; a handler answers with `reply(type,
 * data)` (any number of times, e.g. `connected` then `done`). A handler that throws answers
 * `error`. The child exits when the parent goes away, so no process outlives the benchmark.
 */
export function serveCommands(handlers: Readonly<Record<string, (command: Command, reply: Reply) => unknown>>, ready: Record<string, unknown> = {}): void {
  const send = (message: Record<string, unknown>): void => {
    if (process.connected) process.send!(message);
  };
  process.on('message', (raw) => {
    const command = raw as Command;
    const reply: Reply = (type, data = {}) => send({ ...data, id: command.id, type });
    const handler = handlers[command.cmd];
    if (!handler) return reply('error', { message: `unknown command ${command.cmd}` });
    Promise.resolve()
      .then(() => handler(command, reply))
      .catch((err: unknown) => reply('error', { message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) }));
  });
  process.on('disconnect', () => process.exit(0));
  send({ ...ready, id: 0, type: 'ready' });
}
