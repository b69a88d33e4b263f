/**
 * Emitter — `client.ts`: the typed client of the contract on the runtime's client core: typed
 * `on.<message>(handler)` for every server-to-client message, `send.<message>(payload)` for every
 * client-to-server application message (validated before it leaves), history views (W3–W5),
 * connection state and events, and `close()`.
 */
import type { CodeBlockWriter, Project } from 'ts-morph';
import type { GeneratedFile } from '../files.js';
import type { ContractModel, MessageModel } from '../model.js';
import { literal, propertyKey, safeIdentifier } from '../naming.js';
import { createTsFile } from '../printer.js';

const CORE = './runtime/client/client-core.js';

function doc(m: MessageModel): string {
  return `\`${m.type}\` (${m.direction}, ${m.role})${m.summary ? ` — ${m.summary}` : ''}`;
}

function block<T>(w: CodeBlockWriter, items: readonly T[], line: (item: T) => void): void {
  if (items.length === 0) return void w.write('{}');
  w.inlineBlock(() => items.forEach((item) => line(item)));
}

export function emitClient(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'client.ts', 'The typed client: on.<message>, send.<message>, history views, reconnect and resume.');
  const P = model.api.prefix;
  const n = { options: `${P}ClientOptions`, listeners: `${P}Listeners`, senders: `${P}Senders`, history: `${P}History`, client: `${P}Client`, factory: `create${P}Client` };
  const type = (name: string, from: string): string => file.use(name, from, { type: true });
  const incoming = model.messages.filter((m) => m.direction === 'server-to-client');
  const outgoing = model.messages.filter((m) => m.application);
  const ConnectionState = type('ConnectionState', CORE);
  const ClientEvent = type('ClientEvent', CORE);

  file.source.addInterface({
    isExported: true,
    name: n.options,
    properties: [
      { name: 'url', type: 'string', docs: ['http(s) URL of the server, with any base path, e.g. "https://example.com/api".'] },
      { name: 'transport', hasQuestionToken: true, type: `"auto" | ${model.transports.map((t) => literal(t.kind)).join(' | ')} | undefined`, docs: ['"auto" (default) tries WebSocket, then SSE, then polling, moving on when one cannot connect.'] },
      { name: 'WebSocket', hasQuestionToken: true, type: `${type('WebSocketConstructor', './runtime/client/transport.js')} | undefined`, docs: ['WebSocket implementation; the global one in browsers, the `ws` package in Node 20.'] },
      { name: 'EventSource', hasQuestionToken: true, type: `${type('EventSourceConstructor', './runtime/client/transport.js')} | undefined`, docs: ['EventSource implementation (default: the global one when present; otherwise SSE is read with fetch).'] },
      { name: 'fetch', hasQuestionToken: true, type: 'typeof fetch | undefined' },
      { name: 'versions', hasQuestionToken: true, type: `readonly (${model.protocolVersions.map(literal).join(' | ')})[] | undefined`, docs: ['H2: protocol versions to offer (default: all of them).'] },
      { name: 'backoff', hasQuestionToken: true, type: `${type('BackoffOptions', './runtime/client/backoff.js')} | undefined`, docs: ['Reconnect delays (exponential with full jitter).'] },
      { name: 'onResumeFailed', hasQuestionToken: true, type: '"new-session" | "stop" | undefined', docs: ['R3: after resume_failed, start a new session (default) or stop.'] },
      { name: 'ackEvery', hasQuestionToken: true, type: 'number | undefined', docs: ['Q5: acknowledge after this many messages (default 100).'] },
      { name: 'ackAfterMs', hasQuestionToken: true, type: 'number | undefined', docs: ['Q5: …or this long after the first unacknowledged one (default 1000).'] },
      { name: 'autoConnect', hasQuestionToken: true, type: 'boolean | undefined', docs: ['Connect at once (default true).'] },
    ].map((p) => ({ ...p, isReadonly: true })),
  });

  file.source.addInterface({
    isExported: true,
    name: n.listeners,
    docs: ['Q4: data handlers run once per message, in seq order. Each returns an unsubscribe function.'],
    methods: incoming.map((m) => ({ name: m.memberName, docs: [doc(m)], parameters: [{ name: 'handler', type: `(message: ${type(m.typeName, './types.js')}) => void` }], returnType: '() => void' })),
  });
  file.source.addInterface({
    isExported: true,
    name: n.senders,
    docs: ['S5: each validates the frame before it leaves and fills in header.session_id; frames wait while the client reconnects.'],
    methods: outgoing.map((m) => ({
      name: m.memberName,
      docs: [doc(m)],
      parameters: [
        { name: 'payload', type: `${type(m.typeName, './types.js')}[${literal('payload')}]` },
        { name: 'options', hasQuestionToken: true, type: '{ readonly requestId?: string }' },
      ],
      returnType: 'Promise<void>',
    })),
  });
  if (model.history.length > 0) {
    const HistoryView = type('HistoryView', './runtime/client/history.js');
    file.source.addInterface({
      isExported: true,
      name: n.history,
      docs: ['W3–W5: history views (fresh load, tail sync that never moves the cursor back, showEarlier with hasEarlier from seq > 1).'],
      methods: model.history.map((h) => ({
        name: safeIdentifier(h.name),
        docs: [`GET ${h.path}${h.summary ? ` — ${h.summary}` : ''}`],
        parameters: [
          { name: 'params', type: `{ ${h.pathParams.map((p) => `readonly ${propertyKey(p.name)}: string`).join('; ')} }` },
          { name: 'options', hasQuestionToken: true, type: `{ readonly pageSize?: number; readonly headers?: Readonly<Record<string, string>> }` },
        ],
        returnType: `${HistoryView}<${type(h.itemTypeName, './types.js')}>`,
      })),
    });
  }
  file.source.addInterface({
    isExported: true,
    name: n.client,
    properties: [
      { name: 'on', isReadonly: true, type: n.listeners },
      { name: 'send', isReadonly: true, type: n.senders },
      ...(model.history.length > 0 ? [{ name: 'history', isReadonly: true, type: n.history }] : []),
      { name: 'state', isReadonly: true, type: ConnectionState },
      { name: 'transport', isReadonly: true, type: `${type('TransportKind', './runtime/contract.js')} | undefined` },
      { name: 'sessionId', isReadonly: true, type: 'string | undefined' },
      { name: 'protocolVersion', isReadonly: true, type: 'string | undefined' },
      { name: 'lastSeenSeq', isReadonly: true, type: 'number', docs: ['R4: the last seq delivered — the resume cursor.'] },
    ],
    methods: [
      { name: 'onEvent', docs: ['Connection state, session, resume-failed, error and sequence events.'], parameters: [{ name: 'handler', type: `(event: ${ClientEvent}) => void` }], returnType: '() => void' },
      { name: 'connect', returnType: 'void' },
      { name: 'reconnect', docs: ['Drops the connection and resumes at once.'], returnType: 'void' },
      { name: 'close', returnType: 'void' },
    ],
  });

  const createClientCore = file.use('createClientCore', CORE);
  const contract = file.use('contract', './contract.js');
  const ServerFrame = type('ServerFrame', CORE);
  file.source.addFunction({
    isExported: true,
    name: n.factory,
    docs: [`Creates a ${model.name} client. In Node 20 pass \`WebSocket\` from the \`ws\` package; in browsers the globals are used.`],
    parameters: [{ name: 'options', type: n.options }],
    returnType: n.client,
    statements: (w) => {
      w.writeLine('const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);');
      w.write(`const core = ${createClientCore}(`).inlineBlock(() => {
        w.writeLine(`contract: ${contract},`);
        w.writeLine(`validateServer: ${file.use('validateServerMessage', './validators.js')},`);
        w.write('clientValidators: ');
        block(w, model.messages.filter((m) => m.direction === 'client-to-server'), (m) => w.writeLine(`${literal(m.type)}: ${file.use(m.validator.name, './validators.js')},`));
        w.write(',').newLine();
        w.write('env: ').inlineBlock(() => {
          w.writeLine('baseUrl: options.url,');
          w.writeLine('fetch: fetchImpl,');
          w.writeLine('WebSocket: options.WebSocket,');
          w.writeLine(`EventSource: options.EventSource ?? (globalThis as { EventSource?: ${type('EventSourceConstructor', './runtime/client/transport.js')} }).EventSource,`);
        });
        w.write(',').newLine();
        for (const key of ['transport', 'versions', 'backoff', 'onResumeFailed', 'ackEvery', 'ackAfterMs', 'autoConnect']) w.writeLine(`${key}: options.${key},`);
      });
      w.write(');').newLine();
      w.write('return ').inlineBlock(() => {
        w.write('on: ');
        block(w, incoming, (m) => w.writeLine(`${m.memberName}: (handler) => core.on(${literal(m.type)}, handler as unknown as (frame: ${ServerFrame}) => void),`));
        w.write(',').newLine();
        w.write('send: ');
        block(w, outgoing, (m) => w.writeLine(`${m.memberName}: (payload, sendOptions) => core.send(${literal(m.type)}, payload, sendOptions),`));
        w.write(',').newLine();
        if (model.history.length > 0) {
          const createHistoryView = file.use('createHistoryView', './runtime/client/history.js');
          w.write('history: ');
          block(w, model.history, (h) => {
            const validate = file.use(model.validated.find((v) => v.typeName === h.responseTypeName)!.name, './validators.js');
            const name = safeIdentifier(h.name);
            const page = Math.min(50, h.maxLimit ?? 50);
            w.writeLine(
              `${name}: (params, historyOptions = {}) => ${createHistoryView}({ baseUrl: options.url, fetch: fetchImpl, endpoint: ${contract}.history.${name}, validateResponse: ${validate}, headers: historyOptions.headers }, params, historyOptions.pageSize ?? ${page}),`,
            );
          });
          w.write(',').newLine();
        }
        for (const key of ['state', 'transport', 'sessionId', 'protocolVersion', 'lastSeenSeq']) w.writeLine(`get ${key}() { return core.${key}; },`);
        w.writeLine('onEvent: (handler) => core.onEvent(handler),');
        w.writeLine('connect: () => core.connect(),');
        w.writeLine('reconnect: () => core.reconnect(),');
        w.writeLine('close: () => core.close(),');
      });
      w.write(';');
    },
  });
  return [file.done()];
}
