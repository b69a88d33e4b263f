/**
 * The view the docs templates read (templates/docs/*.hbs): numbers with their units, names,
 * examples, the trace rows and the wire facts, built from the model only. No prose here: that is
 * in the templates.
 */
import { LIMIT_NAMES, type LimitName } from '../runtime/limits.js';
import type { ContractModel, FieldModel, HistoryEndpointModel, MessageModel, TransportKind } from './model.js';
import type { ResolvedTraceRow } from './trace-resolve.js';
import { RULES, type TraceDoc } from './trace.js';
import { CLOSE_CODES, RESUME_FAILURES, WIRE_ERRORS } from './wire.js';

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

function size(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** L2: what each bound of x-contract.limits is, as the parameters table says it, and what exceeding it gets. */
const LIMIT_ROWS: Readonly<Record<LimitName, { readonly what: string; readonly bytes: boolean; readonly refusal: string }>> = {
  maxSessions: { what: 'Sessions per server process', bytes: false, refusal: '`overloaded`: HTTP 503, WebSocket close 1013' },
  maxSessionsPerClient: { what: 'Sessions per client (address, or the server\'s `clientKey`)', bytes: false, refusal: '`overloaded`: HTTP 429, WebSocket close 1013' },
  maxSessionsPerSecond: { what: 'New sessions per second per process', bytes: false, refusal: '`overloaded`: HTTP 429, WebSocket close 1013' },
  maxInboundBytes: { what: 'Client frames queued for a session\'s handlers', bytes: true, refusal: 'WebSocket: the socket is not read until they catch up; POST: `overloaded`, HTTP 429' },
  maxFramesPerPost: { what: 'Frames in one POST', bytes: false, refusal: '`overloaded`: HTTP 413, nothing handled' },
  maxErrorFrames: { what: 'Error frames in one POST answer', bytes: false, refusal: 'the rest of the batch is not handled; one `overloaded` frame says how many' },
  maxPollBytes: { what: 'Data in one poll answer (`max_bytes` asks for less)', bytes: true, refusal: 'the rest comes with the next poll; one frame always goes' },
  maxPollFrames: { what: 'Data frames in one poll answer (`max` asks for fewer)', bytes: false, refusal: 'the rest comes with the next poll' },
  maxBufferedBytes: { what: 'Unsent bytes of one connection', bytes: true, refusal: '`slow_consumer`: dropped (WebSocket close 4005), the session waits for a resume' },
};

function limitRows(model: ContractModel): { name: string; what: string; value: string; refusal: string }[] {
  return LIMIT_NAMES.map((name) => {
    const row = LIMIT_ROWS[name];
    const n = model.limits[name];
    return { name, what: row.what, value: row.bytes ? `${n} bytes (${size(n)})` : String(n), refusal: row.refusal };
  });
}

/** `(field: Type)` labels for a payload, required first in declaration order. */
function fieldView(f: FieldModel): { name: string; typeLabel: string; required: boolean; description: string } {
  return { name: f.name, typeLabel: f.typeLabel, required: f.required, description: f.description ?? '' };
}

function messageView(m: MessageModel) {
  const { type, typeName, memberName, direction, role, sequenced, kernel, summary, description } = m;
  const reply = m.reply ?? '';
  const fields = { headerFields: m.headerFields.map(fieldView), fields: m.payloadFields.map(fieldView), variants: m.payloadVariants.map((v) => ({ label: v.label, fields: v.fields.map(fieldView) })) };
  return { type, typeName, memberName, direction, fromServer: direction === 'server-to-client', role, sequenced, kernel, summary, description, reply, headerType: m.headerTypeName ?? '', ...fields };
}

function headerOf(m: MessageModel | undefined) {
  return m ? { typeName: m.headerTypeName ?? '', fields: m.headerFields.map(fieldView) } : undefined;
}

/** An example's query string, `?a=1&b=2`, in the example's key order. */
function queryString(example: unknown): string {
  if (typeof example !== 'object' || example === null) return '';
  const params = new URLSearchParams(Object.entries(example as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function historyView(h: HistoryEndpointModel) {
  return {
    name: h.name,
    summary: h.summary,
    method: h.method,
    path: h.path,
    pathParams: h.pathParams.map((p) => ({ name: p.name, typeLabel: p.typeName ?? 'string', pattern: p.pattern ?? '' })),
    params: h.queryParams.map((p) => ({ name: p.name, description: p.description, minimum: p.minimum })),
    maxLimit: h.maxLimit,
    queryType: h.queryTypeName,
    responseType: h.responseTypeName,
    itemType: h.itemTypeName,
    queries: h.queryExamples.map((q) => ({ url: `${h.path}${queryString(q)}`, json: q })),
    response: h.responseExamples[0],
  };
}

/** The example of a message (its first), or of a data message whose seq is `seq`, if any. */
function example(model: ContractModel, type: string): unknown {
  return model.messages.find((m) => m.type === type)?.examples[0];
}

function exampleSeq(e: unknown): number | undefined {
  const seq = (e as { header?: { seq?: unknown } } | undefined)?.header?.seq;
  return typeof seq === 'number' ? seq : undefined;
}

/** Data messages in the order their examples are numbered (seq 1, 2, …), then by type. */
function dataByExampleSeq(model: ContractModel): MessageModel[] {
  const seqOf = (m: MessageModel): number => m.examples.map(exampleSeq).find((s) => s !== undefined) ?? Number.MAX_SAFE_INTEGER;
  return model.messages.filter((m) => m.sequenced).sort((a, b) => seqOf(a) - seqOf(b) || a.type.localeCompare(b.type));
}

function transportsView(model: ContractModel) {
  const by = (k: TransportKind) => model.transports.find((t) => t.kind === k);
  const ws = by('websocket');
  const sse = by('sse');
  const poll = by('poll');
  return {
    list: model.transports.map((t) => t.kind),
    websocket: ws ? { path: ws.path } : undefined,
    sse: sse ? { path: sse.path, messagesPath: sse.messagesPath ?? '' } : undefined,
    poll: poll ? { path: poll.path, messagesPath: poll.messagesPath ?? '', holdMs: poll.holdMs ?? 0, holdText: duration(poll.holdMs ?? 0) } : undefined,
    messagesPath: sse?.messagesPath ?? poll?.messagesPath ?? '',
    http: Boolean(sse || poll),
  };
}

export function traceView(rows: readonly ResolvedTraceRow[], doc: TraceDoc) {
  const mine = rows.filter((r) => r.doc === doc);
  const rules = RULES.map((r) => ({
    id: r.id,
    title: r.title,
    rows: mine.filter((x) => x.rule === r.id).map((x) => ({ file: x.file, link: `../${x.file}`, symbol: x.symbol, what: x.what })),
  }));
  return {
    // The title only on a rule's first row, so a rule with several rows reads as one group.
    rows: rules.flatMap((r) => r.rows.map((row, i) => ({ rule: r.id, title: i === 0 ? r.title : '', ...row }))),
    traced: rules.filter((r) => r.rows.length > 0),
    untraced: rules.filter((r) => r.rows.length === 0),
  };
}

/** x-contract.conformance for the backend doc: the trigger, what it produces, the logs to seed. */
function conformanceView(model: ContractModel) {
  const c = model.conformance;
  if (!c) return undefined;
  return {
    triggerType: c.trigger.type,
    triggerPayload: JSON.stringify(c.trigger.payload),
    produces: c.produces,
    sampleTypes: [...new Set(c.samples.map((s) => s.type))],
    history: c.history.map((h) => {
      const endpoint = model.history.find((x) => x.name === h.endpoint);
      const path = (endpoint?.path ?? '').replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(h.params[name] ?? name));
      return { endpoint: h.endpoint, path, minItems: h.minItems };
    }),
  };
}

/**
 * The application flow of the sequence diagram: the client message that makes the server produce
 * data (the conformance trigger's, else the first client data message), if the contract has one.
 */
function inputOf(model: ContractModel): { type: string; memberName: string } | undefined {
  const inputs = model.messages.filter((m) => m.direction === 'client-to-server' && m.role === 'data');
  const m = inputs.find((x) => x.type === model.conformance?.trigger.type) ?? inputs[0];
  return m ? { type: m.type, memberName: m.memberName } : undefined;
}

export type DocsView = ReturnType<typeof docsView>;

/** Everything the templates read. Built from the model only. */
export function docsView(model: ContractModel) {
  const messages = model.messages.map(messageView);
  const serverData = messages.filter((m) => m.sequenced);
  const serverControl = messages.filter((m) => m.fromServer && !m.sequenced);
  const client = messages.filter((m) => !m.fromServer);
  const versions = model.protocolVersions;
  const data = dataByExampleSeq(model);
  const origin = model.seqOrigin;
  const slot = (i: number) => {
    const m = data.length > 0 ? data[i % data.length] : undefined;
    return { type: m?.type ?? 'a data message', memberName: m?.memberName ?? 'message', seq: origin + i };
  };
  const dataExample = data.map((m) => m.examples.find((e) => exampleSeq(e) === origin) ?? m.examples[0]).find((e) => e !== undefined);
  const resumeFailed = model.messages.find((m) => m.type === 'protocol.resume_failed')?.examples ?? [];
  const history = model.history.map(historyView);
  return {
    contract: {
      name: model.name,
      version: model.version,
      title: model.title,
      description: model.description,
      specLabel: model.specLabel,
      shortHash: model.specHash.slice(0, 16),
      prefix: model.api.prefix,
    },
    params: {
      versions,
      versionsParam: versions.join(','),
      highestVersion: versions[versions.length - 1] ?? '',
      lowestVersion: versions[0] ?? '',
      seqOrigin: origin,
      cursorStart: origin - 1,
      ttlMs: model.session.ttlMs,
      ttlText: duration(model.session.ttlMs),
      idBits: model.session.idBits,
      tokenBits: model.session.tokenBits,
      replay: { maxMessages: model.replayWindow.maxMessages, maxBytes: model.replayWindow.maxBytes, maxBytesText: size(model.replayWindow.maxBytes) },
      heartbeatMs: model.heartbeatMs,
      heartbeatText: duration(model.heartbeatMs),
      maxFrameBytes: model.maxFrameBytes,
      maxFrameText: size(model.maxFrameBytes),
      limits: limitRows(model),
      poll: { maxBytes: model.limits.maxPollBytes, maxBytesText: size(model.limits.maxPollBytes), maxFrames: model.limits.maxPollFrames },
      capabilities: model.capabilities,
    },
    transports: transportsView(model),
    messages: { all: [...serverData, ...serverControl, ...client], serverData, serverControl, client, replied: client.filter((m) => m.reply !== '') },
    headers: {
      data: headerOf(model.messages.find((m) => m.sequenced)),
      control: headerOf(model.messages.find((m) => m.direction === 'server-to-client' && !m.sequenced)),
      client: headerOf(model.messages.find((m) => m.direction === 'client-to-server')),
    },
    history,
    firstHistory: history[0],
    examples: {
      hello: example(model, 'protocol.hello'),
      data: dataExample,
      resume: example(model, 'protocol.resume'),
      resumed: example(model, 'protocol.resumed'),
      resumeFailed: resumeFailed.find((e) => (e as { payload?: { reason?: unknown } }).payload?.reason === 'window_exceeded') ?? resumeFailed[0],
      ack: example(model, 'protocol.ack'),
    },
    diagram: { first: slot(0), second: slot(1), missed: slot(2), live: slot(3), lastSeen: origin + 1, input: inputOf(model) },
    conformance: conformanceView(model),
    wire: { closeCodes: CLOSE_CODES, errors: WIRE_ERRORS, resumeFailures: RESUME_FAILURES },
    python: pythonView(model),
    defs: Object.keys(model.defs),
    kernel: model.kernel,
  };
}

/** Names of the Python target's package (`contractgen build --target python`), for the mounting section. */
function pythonView(model: ContractModel) {
  const { package: pkg, factory, handlers, context } = model.python;
  const mount = [
    `server = ${factory}(Handlers())`,
    'app = FastAPI(lifespan=server.lifespan)  # starts heartbeats and TTL sweeps, closes the store',
    "app.router.routes.extend(server.routes)  # the contract's paths; the app's own routes keep working",
  ].join('\n');
  return { package: pkg, factory, handlers, context, mount };
}
