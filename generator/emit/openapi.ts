/**
 * Emitter — `openapi.json`: the HTTP endpoints of the contract as an OpenAPI 3.1.0 document:
 * every history endpoint (W1–W3), the SSE stream, the long-poll and the POST endpoint for client
 * frames. The WebSocket channel is in asyncapi.json. Schemas are the spec's own (OpenAPI 3.1
 * speaks JSON Schema 2020-12), moved under components; the banner is `info.x-generated-by`.
 */
import { textFile, type GeneratedFile } from '../files.js';
import type { ContractModel, HistoryEndpointModel, MessageModel } from '../model.js';
import { declaredField, documentJson, exportInfo, exportSchema, protocolExtension, referencedDefs } from '../json-export.js';
import type { Schema } from '../schema-walk.js';

const SCHEMAS = '#/components/schemas/';
const ref = (name: string) => ({ $ref: `${SCHEMAS}${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });

/** Schemas this emitter adds next to the spec's; a spec $defs entry may not take these names. */
const DERIVED = ['ServerMessage', 'ClientMessage', 'Frames', 'MessagesAnswer', 'HistoryError'] as const;

function union(messages: readonly MessageModel[], description: string): Schema {
  return { description, oneOf: messages.map((m) => ref(m.typeName)) };
}

function historyOperation(model: ContractModel, h: HistoryEndpointModel, errorSchema: unknown): Record<string, unknown> {
  const parameters = [
    ...h.pathParams.map((p) => ({
      name: p.name,
      in: 'path',
      required: true,
      schema: p.typeName && Object.hasOwn(model.defs, p.typeName) ? ref(p.typeName) : { type: 'string', ...(p.pattern ? { pattern: p.pattern } : {}) },
    })),
    ...h.queryParams.map((p) => {
      const { description, ...rest } = exportSchema(p.schema, SCHEMAS) as Record<string, unknown>;
      // W2: the contract's maxLimit is the upper bound of `limit`.
      const bounded = p.name === 'limit' && h.maxLimit !== undefined ? { ...rest, maximum: h.maxLimit } : rest;
      return { name: p.name, in: 'query', required: false, ...(typeof description === 'string' ? { description } : {}), schema: bounded };
    }),
  ];
  return {
    operationId: h.name,
    summary: h.summary || `Windowed read of ${h.path}`,
    description:
      'W1: the selection is sinceSeq < seq < beforeSeq; the answer is its newest `limit` items in ascending order (all of it without `limit`). ' +
      'W3: latestSeq is the last returned seq, or sinceSeq when nothing is returned; a tail cursor only. ' +
      'W5: fresh load ?sinceSeq=0&limit=k, tail sync ?sinceSeq=<cursor>, page older ?beforeSeq=<oldest>&limit=k.',
    tags: ['history'],
    parameters,
    responses: {
      '200': { description: 'The window, ascending by seq, and the tail cursor.', content: json(ref(h.responseTypeName)) },
      '400': { description: 'W2: a malformed, zero or negative parameter, a repeated or unknown one, or a limit above maxLimit; `parameter` names it.', content: json(errorSchema) },
      '404': { description: 'No such conversation.', content: json(errorSchema) },
    },
  };
}

export function openApiDocument(model: ContractModel): Record<string, unknown> {
  for (const name of DERIVED) {
    if (name !== 'HistoryError' && Object.hasOwn(model.defs, name)) throw new Error(`openapi emitter: the spec defines $defs/${name}, a name openapi.json uses for its own schema; rename it`);
  }
  const server = model.messages.filter((m) => m.direction === 'server-to-client');
  const client = model.messages.filter((m) => m.direction === 'client-to-server');
  const refusals = server.filter((m) => m.type === 'protocol.error' || m.type === 'protocol.resume_failed');
  const resume = model.messages.find((m) => m.type === 'protocol.resume');
  const clientHeader = client.find((m) => m.headerTypeName);
  const sessionId = declaredField(clientHeader, 'header', 'session_id', SCHEMAS, { type: 'string' });
  const token = declaredField(resume, 'payload', 'resume_token', SCHEMAS, { type: 'string' });
  const cursor = declaredField(resume, 'payload', 'last_seen_seq', SCHEMAS, { type: 'integer', minimum: 0 });
  const versions = { name: 'versions', in: 'query', required: false, description: `H2: the protocol versions the client speaks, comma-separated; the server picks the highest common one (it speaks ${model.protocolVersions.join(', ')}).`, schema: { type: 'string', examples: [model.protocolVersions.join(',')] } };
  const refusal = (description: string) => ({ description, content: json(ref('Frames')) });
  const answer = (description: string) => ({ description, content: json(ref('MessagesAnswer')) });

  const paths: Record<string, unknown> = {};
  // The spec's HistoryError when it has one, else the same shape derived below.
  for (const h of model.history) paths[h.path] = { get: historyOperation(model, h, ref('HistoryError')) };

  const sse = model.transports.find((t) => t.kind === 'sse');
  const poll = model.transports.find((t) => t.kind === 'poll');
  if (sse) {
    paths[sse.path] = {
      get: {
        operationId: 'openEventStream',
        summary: 'Open or resume a session as a Server-Sent Events stream.',
        description:
          'Without session_id a new session is opened; its first event is protocol.hello (H1). With session_id, resume_token and last_seen_seq (or the Last-Event-ID header, which wins) the session resumes: hello, protocol.resumed, the replay, then live events (R1, R2). ' +
          'EventSource cannot send headers, so these travel in the query string (S5). Data events carry `id: <seq>` (R4); heartbeats are protocol.heartbeat events without id (Q4). ' +
          'A refused request is answered 200 with the typed frame as the only event, because EventSource hides the body of any other status.',
        tags: ['transports'],
        security: [{}, { resumeTokenQuery: [] }],
        parameters: [
          versions,
          { name: 'session_id', in: 'query', required: false, description: 'S5: the session to resume.', schema: sessionId },
          { name: 'resume_token', in: 'query', required: false, description: 'S3: the resume_token of that session.', schema: token },
          { name: 'last_seen_seq', in: 'query', required: false, description: 'R4: the last seq the client processed.', schema: cursor },
          { name: 'Last-Event-ID', in: 'header', required: false, description: 'R4: sent by the browser on reconnect; the last data event id = the last seq processed.', schema: cursor },
        ],
        responses: {
          '200': {
            description: 'The event stream: `data: <frame JSON>` per frame; data frames with `id: <seq>`. A refusal (a bad resume request, an unknown or expired session, a cursor outside the window, no common version) is the only event of the stream, a typed protocol.error or protocol.resume_failed.',
            content: {
              'text/event-stream': {
                schema: { type: 'string' },
                // OpenAPI 3.2's itemSchema, as an extension: the validator this project uses
                // (@readme/openapi-parser 9) refuses 3.2 documents, so the export stays 3.1.
                'x-itemSchema': {
                  description: 'One event (wire.md R4.1, R4.4): a single data line holding one server frame; id = header.seq on data events, absent on control events; no event field.',
                  type: 'object',
                  required: ['data'],
                  additionalProperties: false,
                  properties: {
                    id: { type: 'string', pattern: '^[1-9][0-9]*$', description: 'The seq of a data event: the next Last-Event-ID.' },
                    data: { type: 'string', contentMediaType: 'application/json', contentSchema: ref('ServerMessage') },
                  },
                },
              },
            },
          },
          '405': { description: 'Not GET.' },
        },
      },
    };
  }
  if (poll) {
    paths[poll.path] = {
      get: {
        operationId: 'poll',
        summary: 'Open a session, or fetch the frames after a cursor (long-polling).',
        description:
          `Without session_id a new session is opened and the answer holds its hello. With session_id and cursor (the last seq processed, R4) the answer holds the frames after the cursor, and the request is held up to ${poll.holdMs ?? 0} ms when there are none; an answer that would be empty then carries a protocol.heartbeat (Q4). ` +
          'The cursor acknowledges (Q5). A poll with resume=1, or one that does not continue a live poll attachment, is a resume: hello, protocol.resumed, the replay (R2). Refusals come with a status and the typed frame.',
        tags: ['transports'],
        security: [{}, { resumeToken: [] }, { resumeTokenQuery: [] }],
        parameters: [
          versions,
          { name: 'session_id', in: 'query', required: false, description: 'S5: the session; omit it to open a new one.', schema: sessionId },
          { name: 'cursor', in: 'query', required: false, description: 'R4: the last seq the client processed; required with session_id.', schema: cursor },
          { name: 'resume', in: 'query', required: false, description: 'R2: `1` on the first poll after a reconnect: the answer starts with hello and protocol.resumed even while the previous poll attachment is still live.', schema: { type: 'string', enum: ['1'] } },
          { name: 'max_bytes', in: 'query', required: false, description: `L2: the most bytes of data the client wants in one answer; the server sends at most ${model.limits.maxPollBytes} whatever is asked, and always at least one frame.`, schema: { type: 'integer', minimum: 1 } },
          { name: 'attachment', in: 'query', required: false, description: 'S4.10: the attachment the last answer named: the poll continues it on any server process (no hello) while it is live.', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' } },
          { name: 'max', in: 'query', required: false, description: `L2: the most data frames the client wants in one answer; the server sends at most ${model.limits.maxPollFrames} whatever is asked.`, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          '200': { description: 'The frames after the cursor, in order (maybe none when the hold time ran out).', content: json(ref('Frames')) },
          '400': refusal('A missing or malformed cursor, a cursor ahead of the latest seq (invalid_cursor), or no common protocol version.'),
          '401': refusal('No token: send Resume-Token: <resume_token>.'),
          '404': refusal('unknown_session: no session matches this session_id and token (a wrong token answers the same, S3).'),
          '410': refusal('Gone: the cursor is older than the replay window (window_exceeded, R3), or the session expired (session_expired, S4).'),
          '429': refusal(`overloaded (L2): this client holds ${model.limits.maxSessionsPerClient} sessions, or the server makes no more than ${model.limits.maxSessionsPerSecond} a second; try again after Retry-After.`),
          '503': refusal(`The session store is unavailable, or overloaded (L2): the server holds its ${model.limits.maxSessions} sessions; poll again later.`),
          '405': { description: 'Not GET.' },
        },
      },
    };
  }
  const messagesPath = sse?.messagesPath ?? poll?.messagesPath;
  if (messagesPath) {
    paths[messagesPath] = {
      post: {
        operationId: 'postMessages',
        summary: 'Send client frames (SSE and long-polling clients).',
        description: `One frame, or a JSON array of at most ${model.limits.maxFramesPerPost} frames. Every frame names its session in header.session_id (S5); the bearer token proves it (S3). protocol.resume is not sent here: SSE and long-polling resume with query parameters. Frames of at most ${model.maxFrameBytes} bytes each. L4: without a token nothing is read; with session_id in the query the session is checked before the body is read. At most ${model.limits.maxErrorFrames} frames are refused per answer; the rest of the batch is then not handled.`,
        tags: ['transports'],
        security: [{ resumeToken: [] }, { resumeTokenQuery: [] }],
        parameters: [{ name: 'session_id', in: 'query', required: false, description: 'L4: the session every frame names; checked with the token before the body is read.', schema: sessionId }],
        requestBody: { required: true, content: json({ oneOf: [ref('ClientMessage'), { type: 'array', minItems: 1, items: ref('ClientMessage') }] }) },
        responses: {
          '202': answer('Every frame was accepted.'),
          '400': answer('A frame is malformed, of an unknown type, invalid, or has no header.session_id; `frames` holds the typed errors.'),
          '401': answer('No token: send Resume-Token: <resume_token>.'),
          '404': answer('unknown_session: no session matches header.session_id and the token.'),
          '410': answer('session_expired: the session outlived its TTL.'),
          '413': answer(`A frame over ${model.maxFrameBytes} bytes, a body over the batch limit, or more than ${model.limits.maxFramesPerPost} frames (overloaded).`),
          '429': answer(`overloaded (L2): the session's handlers are ${model.limits.maxInboundBytes} bytes behind; send again after Retry-After.`),
          '503': answer(`overloaded (L2): the server holds its ${model.limits.maxSessions} sessions.`),
          '405': { description: 'Not POST.' },
        },
      },
    };
  }

  const derived: Record<string, unknown> = {
    ServerMessage: union(server, 'Every frame the server sends, discriminated by `type`.'),
    ClientMessage: union(client, 'Every frame a client sends, discriminated by `type`.'),
    Frames: { type: 'object', description: 'A poll answer or an HTTP refusal: server frames in order.', required: ['frames'], additionalProperties: false, properties: { frames: { type: 'array', items: ref('ServerMessage') }, attachment: { type: 'string', description: 'S4.10: the poll attachment this answer belongs to; name it in the next poll (`attachment`).' } } },
    MessagesAnswer: {
      type: 'object',
      description: 'The answer to POSTed frames: how many were accepted, and a typed error for each refused one.',
      required: ['frames'],
      additionalProperties: false,
      properties: { accepted: { type: 'integer', minimum: 0 }, frames: { type: 'array', items: refusals.length > 0 ? union(refusals, 'A typed refusal.') : ref('ServerMessage') } },
    },
  };
  if (!Object.hasOwn(model.defs, 'HistoryError')) {
    derived.HistoryError = { type: 'object', description: 'W2: the body of a 400 or 404 history answer.', required: ['error'], properties: { error: { type: 'string' }, parameter: { type: 'string' } } };
  }
  const roots = [...model.messages.map((m) => ({ $ref: `#/$defs/${m.typeName}` })), ...model.history.flatMap((h) => [h.queryTypeName, h.responseTypeName, h.itemTypeName, ...h.pathParams.flatMap((p) => (p.typeName ? [p.typeName] : []))].map((n) => ({ $ref: `#/$defs/${n}` })))];
  if (Object.hasOwn(model.defs, 'HistoryError')) roots.push({ $ref: '#/$defs/HistoryError' });
  const specSchemas = Object.fromEntries(referencedDefs(model, roots).map((n) => [n, exportSchema(model.defs[n], SCHEMAS)]));

  return {
    openapi: '3.1.0',
    info: exportInfo(model, `OpenAPI 3.1.0 view of the ${model.name} HTTP endpoints; the WebSocket channel is in asyncapi.json.`),
    tags: [
      ...(model.history.length > 0 ? [{ name: 'history', description: 'W1–W6: windowed reads of append-only logs.' }] : []),
      ...(sse || poll ? [{ name: 'transports', description: 'The HTTP transports of the realtime protocol: SSE, long-polling and POSTed client frames.' }] : []),
    ],
    paths,
    components: {
      schemas: { ...specSchemas, ...derived },
      securitySchemes: {
        resumeToken: { type: 'http', scheme: 'bearer', description: 'S3: the resume_token from protocol.hello proves the session named by session_id.' },
        resumeTokenQuery: { type: 'apiKey', in: 'query', name: 'resume_token', description: 'S5: the token as a query parameter, where the client cannot send headers (EventSource).' },
      },
    },
    'x-protocol': protocolExtension(model),
  };
}

export function emitOpenApi(model: ContractModel): GeneratedFile[] {
  return [textFile('openapi.json', documentJson(openApiDocument(model), ['openapi', 'info']))];
}
