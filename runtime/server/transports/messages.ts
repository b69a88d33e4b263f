/**
 * POST endpoint for client frames on SSE and poll (which have no upstream channel). The body is
 * one frame or a JSON array of frames; `Authorization: Bearer <resume_token>` proves the
 * session named by each frame's header.session_id (S3: the id alone is not a capability).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFrame } from '../../frames.js';
import type { ServerCore } from '../server-core.js';
import { bearerToken, BodyTooLargeError, methodNotAllowed, readBody, sendJson } from './http-util.js';

export interface MessagesEndpoint {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** A POST may batch frames; the body limit leaves room for a batch of full-size frames. */
const BATCH = 16;

export function createMessagesEndpoint(core: ServerCore, path: string): MessagesEndpoint {
  const limit = core.contract.maxFrameBytes * BATCH;
  return {
    path,
    async handle(req, res, url) {
      if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
      let text: string;
      try {
        text = await readBody(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          return sendJson(res, 413, JSON.stringify({ accepted: 0, frames: [errorFrame('frame_too_large', `${err.message}; frames are limited to ${core.contract.maxFrameBytes} bytes, batches to ${BATCH}`)] }), { connection: 'close' });
        }
        return; // the client went away
      }
      const outcome = await core.receive(text, { kind: 'post', token: bearerToken(req, url) });
      sendJson(res, outcome.errors.length === 0 ? 202 : outcome.status, JSON.stringify({ accepted: outcome.accepted, frames: outcome.errors }));
    },
  };
}
