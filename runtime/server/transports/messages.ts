/**
 * POST endpoint for client frames on SSE and poll (which have no upstream channel). The body is
 * one frame or a JSON array of at most `maxFramesPerPost` frames; the `Resume-Token` header (or a
 * `resume_token` query parameter) proves the session (S3: the id alone is not a capability; A4:
 * never `Authorization`, which is the application's). The request is authenticated first (A1):
 * a refusal is 401 / 403 with its typed frame (A3), and the session must be the caller's (A2).
 *
 * L4: the token is looked for before the body is read, and when the query names the session
 * (`?session_id=`, as the generated client sends it) the session is authenticated before the
 * body is read too; otherwise the frames name it and it is authenticated once, before any frame
 * is handled or answered. A refusal is one frame, never one per frame of a batch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFrame } from '../../frames.js';
import type { Gate } from '../auth.js';
import type { InboundOutcome, ServerCore } from '../server-core.js';
import { BodyTooLargeError, methodNotAllowed, readBody, resumeToken, sendJson } from './http-util.js';

export interface MessagesEndpoint {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export function createMessagesEndpoint(core: ServerCore, path: string, gate: Gate): MessagesEndpoint {
  const { maxFramesPerPost } = core.limits;
  // A POST may batch frames; the body limit leaves room for a batch of full-size frames.
  const limit = core.contract.maxFrameBytes * maxFramesPerPost;
  // Answered before the body is read: the connection closes, so the unread body goes with it.
  const answer = (res: ServerResponse, outcome: InboundOutcome, headers: Record<string, string> = {}): void =>
    sendJson(res, outcome.errors.length === 0 ? 202 : outcome.status, JSON.stringify({ accepted: outcome.accepted, ...(outcome.acked !== undefined ? { acked: outcome.acked } : {}), frames: outcome.errors }), headers);
  return {
    path,
    async handle(req, res, url) {
      if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
      // A1/L4: who it is, before the body is read.
      const who = await gate.pass(req, url, 'messages');
      if (!who.ok) return answer(res, { accepted: 0, errors: [errorFrame(who.code, who.message)], status: who.status }, { connection: 'close' });
      const { identity } = who;
      const token = resumeToken(req, url);
      if (token === undefined) return answer(res, await core.receive('', { kind: 'post', token, identity }), { connection: 'close' });
      const sessionId = url.searchParams.get('session_id');
      let session;
      if (sessionId !== null) {
        const auth = await core.authenticate(sessionId, token, identity);
        if (!auth.ok) {
          const headers: Record<string, string> = { connection: 'close', ...(auth.retryAfterS ? { 'retry-after': String(auth.retryAfterS) } : {}) };
          return answer(res, { accepted: 0, errors: [auth.frame], status: auth.status }, headers);
        }
        session = auth.session;
      }
      let text: string;
      try {
        text = await readBody(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          return sendJson(res, 413, JSON.stringify({ accepted: 0, frames: [errorFrame('frame_too_large', `${err.message}; frames are limited to ${core.contract.maxFrameBytes} bytes, batches to ${maxFramesPerPost}`)] }), { connection: 'close' });
        }
        return; // the client went away
      }
      const outcome = await core.receive(text, { kind: 'post', token, identity, ...(session ? { session } : {}) });
      answer(res, outcome, outcome.status === 429 ? { 'retry-after': '1' } : {});
    },
  };
}
