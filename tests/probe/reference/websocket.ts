/**
 * The reference server's WebSocket transport, from wire.md §6: a connect without session_id gets
 * a new session and its hello; one with session_id must send protocol.resume for that session
 * first (R1.2); errors are frames on an open socket; close codes from the table.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { C, type Core, type Frame, type Session, type Sink } from './sessions.js';

export function createWebSocketTransport(core: Core) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * C.maxFrameBytes, perMessageDeflate: false });

  const connection = (ws: WebSocket, url: URL): void => {
    let s: Session | undefined;
    const version = core.negotiate(url.searchParams.get('versions'));
    const close = (code: number, reason: string): void => ws.close(code, reason);
    const sink: Sink = {
      kind: 'websocket',
      send: (text) => ws.send(text),
      heartbeat: () => s && ws.send(core.heartbeat(s)),
      superseded() {
        ws.send(core.error('superseded', 'another connection took over this session', {}, s?.id));
        close(core.has('supersede-wrong-close') ? 1000 : 4001, 'superseded');
      },
    };
    /** An error frame on the open socket (L1), or a closed one under the fault. */
    const sendError = (text: string): void => {
      ws.send(text);
      if (core.has('error-closes-socket')) close(1008, 'error');
    };
    if (!version) {
      ws.send(core.unsupported());
      return close(4004, 'unsupported version');
    }
    const urlSession = url.searchParams.get('session_id');
    if (urlSession === null) {
      s = core.create(version);
      core.attach(s, sink);
      ws.send(core.hello(s, false));
    }
    const timer = urlSession === null ? undefined : setTimeout(() => (ws.send(core.error('session_required', 'send protocol.resume first')), close(4006, 'resume timeout')), 10_000);

    /** R2: hello, resumed, the replay; or the refusal and 4003. */
    const resume = (f: Frame): void => {
      const id = core.has('resume-ignores-frame-session') ? urlSession : (f.header.session_id as string);
      const auth = core.authenticate(id, f.payload.resume_token as string);
      if (!('id' in auth)) {
        ws.send(core.refusal(auth.reason, auth.message));
        return close(4003, 'resume failed');
      }
      const cursor = f.payload.last_seen_seq as number;
      const r = core.replay(auth, cursor);
      if ('refusal' in r) {
        ws.send(r.refusal);
        return close(4003, 'resume failed');
      }
      s = auth;
      s.version = version;
      core.attach(s, sink);
      ws.send(core.hello(s, true));
      ws.send(core.resumed(s, cursor));
      for (const x of r.frames) ws.send(x.text);
      core.release(s, cursor);
    };

    ws.on('message', (data, isBinary) => {
      if (isBinary) return sendError(core.error('malformed_frame', 'binary frames are not part of this protocol', {}, s?.id));
      const parsed = core.parse(data.toString());
      if (!s) {
        clearTimeout(timer);
        if (!parsed.ok) {
          ws.send(parsed.error);
          return close(4000, 'protocol error');
        }
        const f = parsed.frame;
        const sameSession = core.has('resume-ignores-frame-session') || f.header.session_id === urlSession;
        if (f.type !== 'protocol.resume' || !sameSession) {
          ws.send(core.error('session_required', 'the first frame must be protocol.resume for the session in the URL', { path: '/type' }));
          return close(4000, 'protocol error');
        }
        return resume(f);
      }
      if (!parsed.ok) return sendError(parsed.error);
      const f = parsed.frame;
      if (f.header.session_id === 'default' && core.has('implicit-default-session')) return core.handle(core.defaultSession(), f);
      if (f.header.session_id !== s.id) return sendError(core.error('unknown_session', "not this connection's session", { path: '/header/session_id' }, s.id));
      if (f.type === 'protocol.resume') {
        if (core.has('second-resume-closes')) return close(4000, 'protocol error');
        const auth = core.authenticate(f.header.session_id as string, f.payload.resume_token as string);
        if (!('id' in auth)) return ws.send(core.refusal('unknown_session', 'no session matches this session_id and resume_token'));
        const cursor = f.payload.last_seen_seq as number;
        const r = core.replay(s, cursor);
        if ('refusal' in r) return ws.send(r.refusal);
        ws.send(core.resumed(s, cursor));
        for (const x of r.frames) ws.send(x.text);
        return;
      }
      const done = core.handle(s, f);
      // C2: the acknowledgement, or the refusal of a gap.
      if (done.verdict === 'gap') ws.send(core.gap(s, f));
      else if (done.verdict !== 'unnumbered') ws.send(core.received(s));
    });
    ws.on('close', () => {
      clearTimeout(timer);
      if (s) core.detach(s, sink);
    });
    ws.on('error', () => undefined);
  };

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const url = new URL(req.url ?? '/', 'http://localhost');
      wss.handleUpgrade(req, socket, head, (ws) => connection(ws, url));
    },
    close(): void {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
