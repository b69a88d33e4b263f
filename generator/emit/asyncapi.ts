/**
 * Emitter — `asyncapi.json`: the contract as an AsyncAPI 3.0.0 document, for tools that read
 * channels (docs portals, mock servers, linters). A channel per transport, a send or receive
 * operation per direction (from the server's side), every message with its payload schema and
 * examples, and the protocol semantics as `x-` extensions. JSON has no comments: the banner is
 * `info.x-generated-by`.
 */
import { textFile, type GeneratedFile } from '../files.js';
import type { ContractModel, MessageModel } from '../model.js';
import { CLOSE_CODES } from '../wire.js';
import { declaredField, documentJson, exportInfo, exportSchema, protocolExtension, referencedDefs } from '../json-export.js';

const SCHEMAS = '#/components/schemas/';

function messageRef(m: MessageModel): { $ref: string } {
  return { $ref: `#/components/messages/${m.typeName}` };
}

function channelMessages(messages: readonly MessageModel[]): Record<string, { $ref: string }> {
  return Object.fromEntries(messages.map((m) => [m.typeName, messageRef(m)]));
}

export function asyncApiDocument(model: ContractModel): Record<string, unknown> {
  const server = model.messages.filter((m) => m.direction === 'server-to-client');
  const client = model.messages.filter((m) => m.direction === 'client-to-server');
  const resume = model.messages.find((m) => m.type === 'protocol.resume');
  const clientHeader = client.find((m) => m.headerTypeName);
  const versions = { type: 'string', description: 'H2: the protocol versions the client speaks, comma-separated.', examples: [model.protocolVersions.join(',')] };
  const sessionId = declaredField(clientHeader, 'header', 'session_id', SCHEMAS, { type: 'string' });
  const token = declaredField(resume, 'payload', 'resume_token', SCHEMAS, { type: 'string' });
  const cursor = declaredField(resume, 'payload', 'last_seen_seq', SCHEMAS, { type: 'integer', minimum: 0 });
  const query = (properties: Record<string, unknown>, description: string) => ({ type: 'object', description, properties, additionalProperties: false });
  const ws = model.transports.find((t) => t.kind === 'websocket');
  const sse = model.transports.find((t) => t.kind === 'sse');
  const poll = model.transports.find((t) => t.kind === 'poll');
  const messagesPath = sse?.messagesPath ?? poll?.messagesPath;
  // protocol.resume is sent on connect (query parameters on SSE and poll), never POSTed.
  const posted = client.filter((m) => m.type !== 'protocol.resume');

  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const op = (id: string, action: 'send' | 'receive', channel: string, messages: readonly MessageModel[], summary: string, extra: Record<string, unknown> = {}): void => {
    operations[id] = { action, channel: { $ref: `#/channels/${channel}` }, summary, messages: messages.map((m) => ({ $ref: `#/channels/${channel}/messages/${m.typeName}` })), ...extra };
  };
  const bearer = [{ $ref: '#/components/securitySchemes/resumeToken' }];

  if (ws) {
    channels.websocket = {
      address: ws.path,
      title: 'WebSocket',
      description: 'One WebSocket per attachment. Without session_id the server opens a new session and sends protocol.hello first (H1); with session_id the first client frame must be protocol.resume (R1). Every client frame carries header.session_id (S5).',
      servers: [{ $ref: '#/servers/websocket' }],
      messages: channelMessages(model.messages),
      bindings: { ws: { method: 'GET', query: query({ session_id: sessionId, versions }, 'session_id only when resuming; the resume_token travels in the protocol.resume frame, never in the URL.'), bindingVersion: '0.1.0' } },
      'x-resume': { frame: 'protocol.resume', cursor: 'payload.last_seen_seq' },
      // The close code of every refusal and takeover (wire.md); AsyncAPI has no field for them.
      'x-close-codes': CLOSE_CODES.map((c) => ({ code: c.code, name: c.name, when: c.when, statement: c.statement })),
    };
    op('sendOverWebSocket', 'send', 'websocket', server, 'Server frames: hello first, then data stamped with header.seq (Q1–Q3) and control frames.');
    op('receiveOverWebSocket', 'receive', 'websocket', client, 'Client frames, each with header.session_id (S5).');
  }
  if (sse) {
    channels.sse = {
      address: sse.path,
      title: 'Server-Sent Events',
      description: 'A text/event-stream of server frames. Data events carry `id: <seq>`, so the browser\'s Last-Event-ID is the resume cursor (R4); heartbeats are protocol.heartbeat events without id (Q4). EventSource cannot send headers, so a resume puts session_id, resume_token and last_seen_seq in the query string (S5). Client frames are POSTed to the messages channel.',
      servers: [{ $ref: '#/servers/http' }],
      messages: channelMessages(server),
      'x-resume': { query: ['session_id', 'resume_token', 'last_seen_seq'], header: 'Last-Event-ID', eventId: 'header.seq of data messages' },
    };
    op('sendOverSse', 'send', 'sse', server, 'Server frames as SSE events; data events have id = seq.', {
      security: [{ $ref: '#/components/securitySchemes/resumeTokenQuery' }],
      bindings: { http: { method: 'GET', query: query({ session_id: sessionId, resume_token: token, last_seen_seq: cursor, versions }, 'All optional: without session_id a new session is opened. Last-Event-ID, when sent, wins over last_seen_seq.'), bindingVersion: '0.3.0' } },
    });
  }
  if (poll) {
    channels.poll = {
      address: poll.path,
      title: 'HTTP long-polling',
      description: `GET answers { "frames": [...] }: the data after \`cursor\` (the last seq processed, R4), held up to ${poll.holdMs ?? 0} ms when there is none (then a protocol.heartbeat, Q4). The cursor also acknowledges (Q5). A poll with resume=1, or one that does not continue a live poll attachment, is a resume: hello, protocol.resumed, the replay. A cursor before the replay window is answered 410 Gone (R3).`,
      servers: [{ $ref: '#/servers/http' }],
      messages: channelMessages(server),
      'x-resume': { query: ['session_id', 'cursor', 'resume=1'], token: 'Resume-Token', refusalStatus: { window_exceeded: 410, invalid_cursor: 400, unknown_session: 404, session_expired: 410 } },
      'x-holdMs': poll.holdMs ?? 0,
    };
    op('sendOverPoll', 'send', 'poll', server, 'Server frames in the body of a poll answer.', {
      security: bearer,
      bindings: { http: { method: 'GET', query: query({ session_id: sessionId, cursor, resume: { type: 'string', enum: ['1'], description: 'R2: set on the first poll after a reconnect.' }, versions }, 'Without session_id a new session is opened and the answer holds its hello.'), bindingVersion: '0.3.0' } },
    });
  }
  if (messagesPath) {
    channels.messages = {
      address: messagesPath,
      title: 'Client frames over HTTP',
      description: 'SSE and long-polling clients POST one frame or a JSON array of frames; Resume-Token: <resume_token> proves the session named by header.session_id (S3, S5). Answered 202 { accepted, frames } with typed errors in frames.',
      servers: [{ $ref: '#/servers/http' }],
      messages: channelMessages(posted),
    };
    op('receiveMessagesPost', 'receive', 'messages', posted, 'Client frames, each with header.session_id.', { security: bearer, bindings: { http: { method: 'POST', bindingVersion: '0.3.0' } } });
  }

  const messages = Object.fromEntries(
    model.messages.map((m) => [
      m.typeName,
      {
        name: m.type,
        title: m.type,
        ...(m.description ? { summary: m.description.split(/(?<=\.)\s/)[0], description: m.description } : {}),
        contentType: 'application/json',
        payload: { $ref: `${SCHEMAS}${m.typeName}` },
        ...(m.examples.length > 0 ? { examples: m.examples.map((e, i) => ({ name: `${m.typeName}${i + 1}`, payload: e })) } : {}),
        'x-direction': m.direction,
        'x-role': m.role,
        'x-sequenced': m.sequenced,
      },
    ]),
  );
  const schemaNames = referencedDefs(model, model.messages.map((m) => ({ $ref: `#/$defs/${m.typeName}` })));

  return {
    asyncapi: '3.0.0',
    info: exportInfo(model, `AsyncAPI 3.0.0 view of the ${model.name} channels.`),
    defaultContentType: 'application/json',
    servers: {
      ...(ws ? { websocket: { host: '{host}', protocol: 'wss', description: 'The service that mounts the generated server (WebSocket upgrades).', variables: { host: { default: 'localhost:8080' } } } } : {}),
      ...(sse || poll ? { http: { host: '{host}', protocol: 'https', description: 'The service that mounts the generated server (SSE, long-polling and POSTed frames).', variables: { host: { default: 'localhost:8080' } } } } : {}),
    },
    channels,
    operations,
    components: {
      messages,
      schemas: Object.fromEntries(schemaNames.map((n) => [n, exportSchema(model.defs[n], SCHEMAS)])),
      securitySchemes: {
        resumeToken: { type: 'http', scheme: 'bearer', description: 'S3: the resume_token from protocol.hello proves the session named by header.session_id.' },
        resumeTokenQuery: { type: 'httpApiKey', in: 'query', name: 'resume_token', description: 'S5: on SSE, where EventSource cannot send headers, the token of a resume goes in the query string.' },
      },
    },
    'x-protocol': protocolExtension(model),
  };
}

export function emitAsyncApi(model: ContractModel): GeneratedFile[] {
  return [textFile('asyncapi.json', documentJson(asyncApiDocument(model), ['asyncapi', 'info']))];
}
