/**
 * The clients of the server benchmark, in their own process (the parent starts one per peer).
 * Each counts the data messages of one run, checks that their seqs are exactly 1..N in order,
 * and reports the moment it got the last one (hrEpoch, comparable with the server's clock).
 * Seqs are read without parsing the frame (`"seq":` is found in the bytes), so the client's
 * own cost is small and the same for every peer that speaks plain WebSocket or SSE.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { io as socketIo } from 'socket.io-client';
import { hrEpoch, serveCommands, type Command, type Reply } from './common.js';

// Never outlive the benchmark: exit as soon as the parent's IPC channel goes, even mid-start.
if (!process.connected) process.exit(0);
process.on('disconnect', () => process.exit(0));

const SEQ = Buffer.from('"seq":');

/** The header.seq of a frame, or -1 for a control frame (no seq). */
function seqOf(data: Buffer): number {
  const at = data.indexOf(SEQ);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + SEQ.length; i < data.length; i++) {
    const c = data[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Tracks one run: counts, checks the order, reports `done` once. */
function createCounter(n: number, reply: Reply, finish: () => void) {
  let expected = 1;
  let count = 0;
  let bytes = 0;
  let firstBad: string | undefined;
  let done = false;
  return {
    get done() {
      return done;
    },
    data(seq: number, size: number): void {
      if (done) return;
      count++;
      bytes += size;
      if (seq !== expected && firstBad === undefined) firstBad = `message ${count} has seq ${seq}, expected ${expected}`;
      expected = seq + 1;
      if (count === n || seq >= n) {
        const tDone = hrEpoch();
        done = true;
        reply('done', { tDone, count, ok: firstBad === undefined && count === n, ...(firstBad ? { firstBad } : {}), meanBytes: bytes / count });
        finish();
      }
    },
    fail(why: string): void {
      if (done) return;
      done = true;
      reply('error', { message: `${why} after ${count} of ${n} messages` });
      finish();
    },
  };
}

interface ResumeState {
  ws: WebSocket | undefined;
  sessionId: string;
  token: string;
  lastSeen: number;
}
let resumeState: ResumeState | undefined;

const parseFrame = (data: Buffer): { type: string; header: Record<string, unknown>; payload: Record<string, unknown> } => JSON.parse(data.toString('utf8'));

/** GET with a keep-alive agent; resolves with the status and the whole body. */
function get(agent: http.Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

serveCommands({
  clock: (_command: Command, reply: Reply) => reply('clock', { t: hrEpoch() }),

  /** WebSocket (generated or raw `ws`): `hello` says to wait for protocol.hello before `connected`. */
  'ws-count'(command: Command, reply: Reply) {
    const { url, n, hello, headers } = command as Command & { url: string; n: number; hello: boolean; headers?: Record<string, string> };
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(headers ? { headers } : {}) });
    const counter = createCounter(n, reply, () => ws.close());
    let connected = false;
    ws.on('open', () => {
      if (!hello) {
        connected = true;
        reply('connected');
      }
    });
    ws.on('message', (data: Buffer) => {
      const seq = seqOf(data);
      if (seq >= 0) return counter.data(seq, data.length);
      const frame = parseFrame(data);
      if (!connected && frame.type === 'protocol.hello') {
        connected = true;
        reply('connected', { sessionId: frame.payload.session_id });
      } else if (frame.type === 'protocol.error' || frame.type === 'protocol.resume_failed') {
        counter.fail(`server sent ${data.toString('utf8').slice(0, 300)}`);
      }
    });
    ws.on('error', (err) => counter.fail(`WebSocket error ${err.message}`));
    ws.on('close', (code, reason) => counter.fail(`WebSocket closed (${code} ${reason.toString()})`));
  },

  /** socket.io-client over WebSocket; the frame is the first argument of each `agent.event`. */
  'sio-count'(command: Command, reply: Reply) {
    const { url, n } = command as Command & { url: string; n: number };
    const socket = socketIo(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    let wire = 0;
    const counter = createCounter(n, reply, () => socket.disconnect());
    socket.io.on('open', () => {
      // Wire size of event packets: engine.io's "4" + socket.io's `2["agent.event",{…},"<offset>"]`.
      socket.io.engine.on('packet', (p: { type: string; data?: unknown }) => {
        if (p.type === 'message' && typeof p.data === 'string') wire = p.data.length + 1;
      });
    });
    socket.on('connect', () => reply('connected', { sessionId: socket.id }));
    socket.on('agent.event', (frame: { header: { seq: number } }) => counter.data(frame.header.seq, wire));
    socket.on('connect_error', (err) => counter.fail(`connect_error ${err.message}`));
    socket.on('disconnect', (reason) => counter.fail(`disconnected (${reason})`));
  },

  /** SSE over raw http.get: counts `id:` lines; a `data:` line without an id is a control frame. */
  'sse-count'(command: Command, reply: Reply) {
    const { url, n, hello } = command as Command & { url: string; n: number; hello: boolean };
    const agent = new http.Agent({ keepAlive: false });
    let finished = false;
    const req = http.get(url, { agent }, (res) => {
      if (res.statusCode !== 200) return counter.fail(`HTTP ${res.statusCode}`);
      res.setEncoding('utf8');
      let connected = false;
      if (!hello) {
        connected = true;
        reply('connected');
      }
      let buffer = '';
      let pendingSeq = -1; // the id of the event whose data line comes next
      res.on('data', (chunk: string) => {
        buffer = buffer === '' ? chunk : buffer + chunk;
        let start = 0;
        for (let nl = buffer.indexOf('\n', start); nl >= 0; nl = buffer.indexOf('\n', start)) {
          const c = buffer.charCodeAt(start);
          if (c === 105 /* i */ && buffer.startsWith('id: ', start)) {
            pendingSeq = Number(buffer.slice(start + 4, nl));
          } else if (c === 100 /* d */) {
            if (pendingSeq >= 0) {
              counter.data(pendingSeq, nl - start + 2 + (String(pendingSeq).length + 5)); // id line + data line + blank line
              pendingSeq = -1;
            } else {
              const frame = JSON.parse(buffer.slice(start + 6, nl)) as { type: string; payload: Record<string, unknown> };
              if (!connected && frame.type === 'protocol.hello') {
                connected = true;
                reply('connected', { sessionId: frame.payload.session_id });
              } else if (frame.type === 'protocol.error' || frame.type === 'protocol.resume_failed') {
                counter.fail(`server sent ${buffer.slice(start, nl).slice(0, 300)}`);
              }
            }
          }
          start = nl + 1;
          if (finished) return;
        }
        buffer = buffer.slice(start);
      });
      res.on('close', () => counter.fail('the stream ended'));
    });
    const counter = createCounter(n, reply, () => {
      finished = true;
      req.destroy();
    });
    req.on('error', (err) => counter.fail(`HTTP error ${err.message}`));
  },

  /** Long-polling: GET without a session for the hello, then GET ?session_id&cursor in a loop. */
  async 'poll-count'(command: Command, reply: Reply) {
    const { base, n } = command as Command & { base: string; n: number };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, `${base}/poll?versions=1.0,1.1`);
      const hello = (JSON.parse(first.body) as { frames: { type: string; payload: { session_id: string; resume_token: string } }[] }).frames[0];
      if (first.status !== 200 || hello?.type !== 'protocol.hello') throw new Error(`no hello: ${first.status} ${first.body.slice(0, 200)}`);
      const sessionId = hello.payload.session_id;
      const headers = { authorization: `Bearer ${hello.payload.resume_token}` };
      reply('connected', { sessionId });
      let cursor = 0;
      let polls = 0;
      let count = 0;
      let firstBad: string | undefined;
      while (cursor < n) {
        const r = await get(agent, `${base}/poll?session_id=${sessionId}&cursor=${cursor}`, headers);
        polls++;
        if (r.status !== 200) throw new Error(`poll ${polls} at cursor ${cursor}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
        const { frames } = JSON.parse(r.body) as { frames: { type: string; header?: { seq?: number } }[] };
        for (const f of frames) {
          const seq = f.header?.seq;
          if (seq === undefined) {
            if (f.type === 'protocol.error' || f.type === 'protocol.resume_failed') throw new Error(`server sent ${JSON.stringify(f).slice(0, 300)}`);
            continue;
          }
          count++;
          if (seq !== cursor + 1 && firstBad === undefined) firstBad = `seq ${seq} after cursor ${cursor}`;
          cursor = seq;
        }
      }
      reply('done', { tDone: hrEpoch(), count, ok: firstBad === undefined && count === n, ...(firstBad ? { firstBad } : {}), polls });
    } finally {
      agent.destroy();
    }
  },

  /** Section 5: a session to resume; keeps its token and the last seq seen. */
  'resume-setup'(command: Command, reply: Reply) {
    const { base } = command as Command & { base: string };
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?versions=1.0,1.1`, { perMessageDeflate: false });
    ws.on('message', (data: Buffer) => {
      if (resumeState) return;
      const frame = parseFrame(data);
      if (frame.type !== 'protocol.hello') return reply('error', { message: `expected hello, got ${frame.type}` });
      resumeState = { ws, sessionId: frame.payload.session_id as string, token: frame.payload.resume_token as string, lastSeen: 0 };
      reply('connected', { sessionId: resumeState.sessionId });
    });
    ws.on('error', (err) => reply('error', { message: err.message }));
  },

  'resume-disconnect'(_command: Command, reply: Reply) {
    const state = resumeState;
    const ws = state?.ws;
    if (!state || !ws) return reply('error', { message: 'no connection to drop' });
    state.ws = undefined;
    ws.once('close', () => reply('closed'));
    ws.close();
  },

  /** Reconnects with session_id, sends protocol.resume, times until the `expect`-th replayed frame. */
  'resume-run'(command: Command, reply: Reply) {
    const { base, expect } = command as Command & { base: string; expect: number };
    const state = resumeState;
    if (!state || state.ws) return reply('error', { message: 'resume-run needs a dropped session' });
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?versions=1.0,1.1&session_id=${state.sessionId}`, { perMessageDeflate: false });
    let t0 = 0;
    let count = 0;
    let firstBad: string | undefined;
    let control: string[] = [];
    let done = false;
    ws.on('open', () => {
      t0 = performance.now();
      ws.send(JSON.stringify({ type: 'protocol.resume', header: { session_id: state.sessionId }, payload: { resume_token: state.token, last_seen_seq: state.lastSeen } }));
    });
    ws.on('message', (data: Buffer) => {
      if (done) return;
      const seq = seqOf(data);
      if (seq < 0) {
        const frame = parseFrame(data);
        control.push(frame.type);
        if (frame.type === 'protocol.resume_failed' || frame.type === 'protocol.error') {
          done = true;
          reply('error', { message: `resume refused: ${data.toString('utf8').slice(0, 300)}` });
        }
        return;
      }
      count++;
      if (seq !== state.lastSeen + 1 && firstBad === undefined) firstBad = `seq ${seq} after ${state.lastSeen}`;
      state.lastSeen = seq;
      if (count === expect) {
        const ms = performance.now() - t0;
        done = true;
        state.ws = ws;
        reply('replayed', { ms, count, ok: firstBad === undefined, ...(firstBad ? { firstBad } : {}), control });
        control = [];
      }
    });
    ws.on('error', (err) => {
      if (!done) reply('error', { message: err.message });
      done = true;
    });
  },

  /** Section 7a: `count` sessions opened through GET /poll (each answered with its hello). */
  async 'idle-poll'(command: Command, reply: Reply) {
    const { base, count, concurrency } = command as Command & { base: string; count: number; concurrency: number };
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const t = performance.now();
    let next = 0;
    let failures = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        next++;
        const r = await get(agent, `${base}/poll?versions=1.0,1.1`);
        if (r.status !== 200 || !r.body.includes('"protocol.hello"')) failures++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    agent.destroy();
    reply('opened', { ms: performance.now() - t, failures });
  },
});
