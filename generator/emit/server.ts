/**
 * Emitter — `server.ts`: the typed server of the contract on the runtime. A handler interface
 * with one method per client-to-server message, a typed `ctx.emit.<message>(payload)` per
 * server-to-client data message (Q3: the only way to send data), session hooks, and a factory
 * that wires validators, transports and history stores.
 */
import type { CodeBlockWriter, Project } from 'ts-morph';
import type { GeneratedFile } from '../files.js';
import type { ContractModel, MessageModel } from '../model.js';
import { literal, propertyKey, safeIdentifier } from '../naming.js';
import { createTsFile, type TsFile } from '../printer.js';

const RUNTIME = './runtime/server/contract-server.js';

function doc(m: MessageModel, extra: string): string {
  return `\`${m.type}\` (${m.direction}, ${m.role})${m.summary ? ` — ${m.summary}` : ''}${extra ? `\n\n${extra}` : ''}`;
}

function handledMessages(model: ContractModel): MessageModel[] {
  return model.messages.filter((m) => m.application);
}

function helloApp(model: ContractModel): string | undefined {
  return model.helloAppTypeName;
}

function emittedMessages(model: ContractModel): MessageModel[] {
  return model.messages.filter((m) => m.sequenced);
}

/** Writes `{ key: value, ... }` one property a line; values are written by the callback. */
function objectOf<T>(w: CodeBlockWriter, items: readonly T[], key: (item: T) => string, value: (item: T) => void): void {
  if (items.length === 0) {
    w.write('{}');
    return;
  }
  w.inlineBlock(() => {
    for (const item of items) {
      w.write(`${key(item)}: `);
      value(item);
      w.write(',').newLine();
    }
  });
}

export function emitServer(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'server.ts', 'The typed server: handlers per client message, ctx.emit per data message, transports and history wired.');
  const P = model.api.prefix;
  const names = { emitter: `${P}Emitter`, context: `${P}Context`, handlers: `${P}Handlers`, options: `${P}ServerOptions`, server: `${P}Server`, factory: `create${P}Server` };
  const use = (name: string, from: string, type = false): string => file.use(name, from, { type });
  const HandlerContext = use('HandlerContext', RUNTIME, true);
  const SessionHandle = use('SessionHandle', RUNTIME, true);
  const ContractServer = use('ContractServer', RUNTIME, true);

  file.source.addInterface({
    isExported: true,
    name: names.emitter,
    docs: ['Q3: one method per server-to-client data message. Each call validates the payload, stamps header.seq (1-based, gap-free, assigned by the session store), keeps the frame in the replay window, delivers it and resolves to the seq. An invalid payload throws OutboundRejectedError at once and consumes no seq; if the store cannot keep the frame the promise rejects (and onError is told): it was not sent.'],
    methods: emittedMessages(model).map((m) => ({
      name: m.memberName,
      docs: [doc(m, '@returns the seq the message was stamped with')],
      parameters: [{ name: 'payload', type: `${use(m.typeName, './types.js', true)}[${literal('payload')}]` }],
      returnType: 'Promise<number>',
    })),
  });
  file.source.addTypeAlias({ isExported: true, name: names.context, type: `${HandlerContext}<${names.emitter}>`, docs: ['What a handler gets: the session, its typed emitter, and the request_id of the frame.'] });

  file.source.addInterface({
    isExported: true,
    name: names.handlers,
    docs: ['One method per client-to-server application message, called in arrival order per session after validation (S2/S5 are enforced before). A handler that throws answers the client with protocol.error `handler_failed`; the session and the server keep going.'],
    methods: [
      ...handledMessages(model).map((m) => ({
        name: m.memberName,
        docs: [doc(m, '')],
        parameters: [
          { name: 'message', type: use(m.typeName, './types.js', true) },
          { name: 'ctx', type: names.context },
        ],
        returnType: 'void | Promise<void>',
      })),
      { name: 'onSessionStart', hasQuestionToken: true, docs: ['A new session got its hello; data emitted here follows the hello (H1).'], parameters: [{ name: 'ctx', type: names.context }], returnType: 'void | Promise<void>' },
      { name: 'onSessionResume', hasQuestionToken: true, docs: ['A session resumed on a new connection, after its replay (R2).'], parameters: [{ name: 'ctx', type: names.context }], returnType: 'void | Promise<void>' },
      { name: 'onSessionEnd', hasQuestionToken: true, docs: [`S4: the session expired (${model.session.ttlMs} ms without a connection) or was ended.`], parameters: [{ name: 'session', type: SessionHandle }, { name: 'reason', type: '"expired" | "ended"' }], returnType: 'void' },
      { name: 'onError', hasQuestionToken: true, docs: ['A handler or hook threw (the client was told `handler_failed`).'], parameters: [{ name: 'error', type: 'unknown' }, { name: 'where', type: '{ readonly sessionId?: string; readonly type?: string }' }], returnType: 'void' },
    ],
  });

  const HistoryStore = model.history.length > 0 ? use('HistoryStore', './runtime/server/history.js', true) : '';
  file.source.addInterface({
    isExported: true,
    name: names.options,
    properties: [
      { name: 'handlers', isReadonly: true, type: names.handlers },
      ...(model.history.length > 0
        ? [
            {
              name: 'history',
              isReadonly: true,
              hasQuestionToken: true,
              docs: ['W1–W6: a store per history endpoint; an endpoint without a store is not served.'],
              type: (w: CodeBlockWriter) =>
                objectOf(w, model.history, (h) => `readonly ${propertyKey(h.name)}?`, (h) => w.write(`${HistoryStore}<${use(h.itemTypeName, './types.js', true)}> | undefined`)),
            },
          ]
        : []),
      ...(helloApp(model)
        ? [
            {
              name: 'helloApp',
              isReadonly: true,
              hasQuestionToken: true,
              type: `((session: ${SessionHandle}) => ${use(helloApp(model)!, './types.js', true)}) | undefined`,
              docs: ['H1: the application fields of each session\'s hello (`payload.app`), as the spec extends the kernel\'s HelloApp.'],
            },
          ]
        : []),
      { name: 'basePath', isReadonly: true, hasQuestionToken: true, type: 'string | undefined', docs: ['Prefix for every path of the contract, e.g. "/api".'] },
      { name: 'store', isReadonly: true, hasQuestionToken: true, type: `${use('SessionStore', './runtime/server/store.js', true)} | undefined`, docs: ['Where sessions live: this process (default), or a shared store such as createRedisStore() so several processes serve one protocol.'] },
      { name: 'resumeTimeoutMs', isReadonly: true, hasQuestionToken: true, type: 'number | undefined', docs: ['WebSocket: how long a connection opened with session_id may take to send protocol.resume (default 10 000).'] },
      { name: 'maxBufferedBytes', isReadonly: true, hasQuestionToken: true, type: 'number | undefined', docs: [`A client this many bytes behind is closed and resumes from the replay window (the same as limits.maxBufferedBytes, default ${model.limits.maxBufferedBytes}).`] },
      {
        name: 'limits',
        isReadonly: true,
        hasQuestionToken: true,
        type: `Partial<${file.use('ContractLimits', './runtime/limits.js', { type: true })}> | undefined`,
        docs: ['L2: overrides of the contract\'s limits for this server: sessions (in total, per client, per second), inbound bytes per session, frames per POST, error frames per answer, bytes per poll answer, buffered bytes per connection. The defaults are in contract.limits.'],
      },
      {
        name: 'clientKey',
        isReadonly: true,
        hasQuestionToken: true,
        type: `${file.use('ClientKey', './runtime/server/session-limiter.js', { type: true })} | undefined`,
        docs: ['L2: whom a request counts against for limits.maxSessionsPerClient. Default: the peer address; behind a reverse proxy, return the client address from the proxy\'s header.'],
      },
      {
        name: 'timers',
        isReadonly: true,
        hasQuestionToken: true,
        type: `${file.use('ServerTimers', './runtime/server/contract-server.js', { type: true })} | undefined`,
        docs: ['Tests and `contractgen probe --timers` only: a shorter session TTL, heartbeat and poll hold than the contract\'s; the hello announces them.'],
      },
      ...(model.conformance
        ? [
            {
              name: 'conformance',
              isReadonly: true,
              hasQuestionToken: true,
              type: 'boolean | undefined',
              docs: [
                `For \`contractgen probe\` (default off): a \`${model.conformance.trigger.type}\` whose payload equals x-contract.conformance.trigger is answered by the runtime with ${model.conformance.produces} data messages built from the spec's examples, instead of by the handler. Seed the history stores with the logs x-contract.conformance.history names.`,
              ],
            },
          ]
        : []),
    ],
  });
  file.source.addTypeAlias({ isExported: true, name: names.server, type: `${ContractServer}<${names.emitter}>` });

  emitFactory(file, model, names);
  return [file.done()];
}

function emitFactory(file: TsFile, model: ContractModel, names: Record<'emitter' | 'handlers' | 'options' | 'server' | 'factory', string>): void {
  const createContractServer = file.use('createContractServer', RUNTIME);
  const contract = file.use('contract', './contract.js');
  const validateClientMessage = file.use('validateClientMessage', './validators.js');
  const serverMessages = model.messages.filter((m) => m.direction === 'server-to-client');

  file.source.addFunction({
    isExported: true,
    name: names.factory,
    docs: [
      `Creates the ${model.name} server. Mount it with \`server.attach(httpServer)\`, or use \`handleRequest\` and \`handleUpgrade\` in an existing Express, Fastify or node:http server.`,
    ],
    parameters: [{ name: 'options', type: names.options }],
    returnType: names.server,
    statements: (w) => {
      w.writeLine('const { handlers } = options;');
      w.write(`return ${createContractServer}<${names.emitter}>(`).inlineBlock(() => {
        w.writeLine(`contract,`);
        w.writeLine(`validateClient: ${validateClientMessage},`);
        w.write('serverValidators: ');
        objectOf(w, serverMessages, (m) => literal(m.type), (m) => w.write(file.use(m.validator.name, './validators.js')));
        w.write(',').newLine();
        w.write('payloadValidators: ');
        objectOf(w, emittedMessages(model), (m) => literal(m.type), (m) => w.write(file.use(m.payloadValidator!.name, './validators.js')));
        w.write(',').newLine();
        w.write('emitter: (send) => (');
        objectOf(w, emittedMessages(model), (m) => m.memberName, (m) => w.write(`(payload) => send(${literal(m.type)}, payload)`));
        w.write('),').newLine();
        w.write('dispatch: ');
        objectOf(w, handledMessages(model), (m) => literal(m.type), (m) => w.write(`(frame, ctx) => handlers.${m.memberName}(frame as unknown as ${file.use(m.typeName, './types.js', { type: true })}, ctx)`));
        w.write(',').newLine();
        w.writeLine('onSessionStart: handlers.onSessionStart?.bind(handlers),');
        w.writeLine('onSessionResume: handlers.onSessionResume?.bind(handlers),');
        w.writeLine('onSessionEnd: handlers.onSessionEnd?.bind(handlers),');
        w.writeLine('onError: handlers.onError?.bind(handlers),');
        if (model.history.length > 0) {
          w.write('history: [').newLine();
          w.indent(() => {
            for (const h of model.history) {
              const name = safeIdentifier(h.name);
              w.writeLine(`...(options.history?.${name} ? [{ ...${contract}.history.${name}, store: options.history.${name} }] : []),`);
            }
          });
          w.writeLine('],');
        }
        if (helloApp(model)) w.writeLine('helloApp: options.helloApp,');
        w.writeLine('basePath: options.basePath,');
        w.writeLine('store: options.store,');
        w.writeLine('resumeTimeoutMs: options.resumeTimeoutMs,');
        w.writeLine('maxBufferedBytes: options.maxBufferedBytes,');
        w.writeLine('limits: options.limits,');
        w.writeLine('clientKey: options.clientKey,');
        w.writeLine('timers: options.timers,');
        if (model.conformance) w.writeLine('conformance: options.conformance,');
      });
      w.write(');');
    },
  });
}
