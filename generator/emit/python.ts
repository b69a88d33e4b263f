/**
 * Emitter — the Python target (`contractgen build --target python`): a package for FastAPI and
 * Starlette services. `models.py` (TypedDicts), `validators.py` (checks in Ajv's order),
 * `contract.py` (the descriptor), `server.py` (the typed facade), `pyproject.toml`, and the
 * hand-written runtime-py/contractgen_runtime copied to `<package>/runtime/`. Every file is
 * rendered from templates/python through the escaper helpers (G1); code pieces are PyCode built
 * by the `py` tagged template, which turns anything that is not code into a literal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { LIMIT_NAMES } from '../../runtime/limits.js';
import { banner, textFile, type GeneratedFile } from '../files.js';
import { snakeCase } from '../naming.js';
import type { ContractModel, MessageModel } from '../model.js';
import { packageRoot } from '../paths.js';
import type { Schema } from '../schema-walk.js';
import { isPyIdentifier, py, PyCode, pyIdentifier, pyLiteral, pyString } from '../python/escape.js';
import { buildModels } from '../python/models.js';
import { renderPython } from '../python/templates.js';
import { compileChecks } from '../python/validators.js';

export const runtimePyDir = join(packageRoot, 'runtime-py', 'contractgen_runtime');

/** The Python package name of a contract (`agent-ui` → `agent_ui`). */
export function pythonPackageName(model: Pick<ContractModel, 'name' | 'python'>): string {
  const name = model.python.package;
  if (!isPyIdentifier(name)) throw new Error(`python target: the contract name "${model.name}" does not give a Python package name ("${name}")`);
  return name;
}

const tuple = (items: readonly PyCode[]): PyCode => new PyCode(items.length === 0 ? '()' : `(${items.map((i) => i.text).join(', ')},)`);
const escapePointer = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1');
/** `"Name"` forward references of a models type expression as `m.Name` (server.py imports models as m). */
const qualified = (expr: PyCode): PyCode => new PyCode(expr.text.replace(/"([A-Za-z_][A-Za-z0-9_]*)"/g, 'm.$1').replace(/\bJson\b/g, 'm.Json'));

function listRuntime(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__pycache__') out.push(...listRuntime(full));
    } else if (entry.name.endsWith('.py') || entry.name === 'py.typed') out.push(full);
  }
  return out;
}

/** The runtime copy: banner naming no spec, so a spec change leaves these files alone. */
export function emitPythonRuntime(packageName: string): GeneratedFile[] {
  return listRuntime(runtimePyDir)
    .map((full) => relative(runtimePyDir, full).split(sep).join('/'))
    .sort()
    .map((rel) => textFile(`${packageName}/runtime/${rel}`, banner(undefined, `Copy of contractgen's runtime-py/contractgen_runtime/${rel}; fix bugs there, not here.`, 'hash') + readFileSync(join(runtimePyDir, rel), 'utf8')));
}

export function emitPython(model: ContractModel): GeneratedFile[] {
  const pkg = pythonPackageName(model);
  const root: Schema = { $defs: model.defs };
  const names = {
    name: model.name,
    version: model.version,
    emitterClass: pyIdentifier(model.python.emitter),
    fanOutClass: pyIdentifier(model.python.fanOut),
    handlersClass: pyIdentifier(model.python.handlers),
    contextAlias: pyIdentifier(model.python.context),
    serverAlias: pyIdentifier(model.python.server),
    factory: pyIdentifier(model.python.factory),
  };
  const head = (description: string): PyCode => new PyCode(banner(model, description, 'hash').trimEnd());
  const file = (path: string, template: string, description: string, context: object): GeneratedFile => {
    const text = renderPython(template, { ...names, ...context, banner: head(description) });
    // Fixed layout: no trailing spaces, at most two blank lines in a row, one final newline.
    return textFile(`${pkg}/${path}`, text.replace(/[ \t]+$/gm, '').replace(/\n{4,}/g, '\n\n\n').replace(/\n+$/, '\n'));
  };

  // --- models ------------------------------------------------------------------------------------
  const defNames = Object.keys(model.defs);
  const models = buildModels(root, defNames);
  const messages = [...model.messages];
  const union = (list: readonly MessageModel[]): PyCode => new PyCode(`t.Union[${list.map((m) => pyString(pyIdentifier(m.typeName).text).text).join(', ')}]`);
  const payloadPointer = (m: MessageModel): string => `${m.pointer}/properties/payload`;
  const emitted = messages.filter((m) => m.sequenced);
  // Payload types are named when their message's TypedDict is built; ask for them after.
  const payloadTypes = new Map(emitted.map((m) => [m.type, qualified(models.typeAt(payloadPointer(m)))]));
  const definitions = models.definitions;
  const exports = [...new Set([...definitions.map((d) => /^(?:class )?([A-Za-z_][A-Za-z0-9_]*)/.exec(d.text)![1]!), 'ClientMessage', 'ServerMessage', 'Json'])].sort();
  const byDirection = (d: MessageModel['direction']): MessageModel[] => messages.filter((m) => m.direction === d);

  // --- validators --------------------------------------------------------------------------------
  const validated = model.validated;
  const checkRoots = [...validated.map((v) => `/$defs/${escapePointer(v.typeName)}`), ...emitted.map(payloadPointer)];
  const checks = compileChecks(root, checkRoots);
  const validators: PyCode[] = [
    ...validated.map((v) => py`${pyIdentifier(v.python)}: _v.Validator[m.${pyIdentifier(v.typeName)}] = _v.Validator(${v.subject}, ${checks.checkAt(`/$defs/${escapePointer(v.typeName)}`)})`),
    ...emitted.map((m) => {
      const type = models.typeAt(payloadPointer(m)).text.replace(/"([A-Za-z_][A-Za-z0-9_]*)"/g, 'm.$1').replace(/\bJson\b/g, 'm.Json');
      return py`${pyIdentifier(m.python.payloadValidator!)}: _v.Validator[${new PyCode(type)}] = _v.Validator(${m.type}, ${checks.checkAt(payloadPointer(m))})`;
    }),
  ];
  const table = (list: readonly MessageModel[], payload = false): PyCode[] =>
    list.map((m) => py`${m.type}: ${pyIdentifier(payload ? m.python.payloadValidator! : m.python.validator)}`);

  // --- contract ----------------------------------------------------------------------------------
  const transports = model.transports.map((t) => {
    switch (t.kind) {
      case 'websocket':
        return py`websocket=WebSocketTransport(path=${t.path})`;
      case 'sse':
        return py`sse=SseTransport(path=${t.path}, messages_path=${t.messagesPath ?? '/messages'})`;
      case 'poll':
        return py`poll=PollTransport(path=${t.path}, messages_path=${t.messagesPath ?? '/messages'}, hold_ms=${t.holdMs ?? 25000})`;
    }
  });
  const history = model.history.map(
    (h) =>
      py`${h.name}: HistoryDescriptor(name=${h.name}, path=${h.path}, path_params=${tuple(h.pathParams.map((p) => py`PathParam(name=${p.name}, pattern=${p.pattern ?? null})`))}, max_limit=${h.maxLimit ?? null})`,
  );
  const messageEntries = messages.map(
    (m) => (m.reply !== undefined
      ? py`${m.type}: MessageDescriptor(type=${m.type}, type_name=${m.typeName}, member=${m.python.member}, direction=${m.direction}, role=${m.role}, sequenced=${m.sequenced}, reply=${m.reply})`
      : py`${m.type}: MessageDescriptor(type=${m.type}, type_name=${m.typeName}, member=${m.python.member}, direction=${m.direction}, role=${m.role}, sequenced=${m.sequenced})`),
  );
  const c = model.conformance;
  const conformance = c
    ? py`ConformanceDescriptor(\n        trigger_type=${c.trigger.type},\n        trigger_payload=${c.trigger.payload},\n        produces=${c.produces},\n        samples=${tuple(c.samples.map((s) => py`ConformanceSample(type=${s.type}, payload=${pyLiteral(s.payload)})`))},\n        history=${tuple(c.history.map((h) => py`ConformanceHistory(endpoint=${h.endpoint}, params=${h.params}, min_items=${h.minItems})`))},${c.reply ? py`\n        reply=ConformanceSample(type=${c.reply.type}, payload=${pyLiteral(c.reply.payload)}),` : new PyCode('')}\n    )`
    : new PyCode('None');

  // --- server ------------------------------------------------------------------------------------
  const clientData = byDirection('client-to-server').filter((m) => !m.kernel);
  const historyItem = (itemTypeName: string): PyCode => py`m.${pyIdentifier(itemTypeName)}`;

  return [
    textFile('pyproject.toml', renderPython('pyproject.toml.hbs', { banner: head('The Python package of the contract: models, validators and the FastAPI/Starlette server.'), distribution: `${model.name}-contract`, version: model.version, description: model.title, packageGlob: `${pkg}*`, packageName: pyIdentifier(pkg) })),
    file('__init__.py', 'init.py.hbs', 'The package: the server factory and what handlers need.', {}),
    file('py.typed', 'py.typed.hbs', 'PEP 561 marker: the package ships its types.', {}),
    file('contract.py', 'contract.py.hbs', 'Protocol parameters and the message catalogue, as constants.', {
      specHash: model.specHash,
      protocolVersions: tuple(model.protocolVersions.map((v) => pyString(v))),
      seqOrigin: pyLiteral(model.seqOrigin),
      ttlMs: pyLiteral(model.session.ttlMs),
      idBits: pyLiteral(model.session.idBits),
      tokenBits: pyLiteral(model.session.tokenBits),
      maxMessages: pyLiteral(model.replayWindow.maxMessages),
      maxBytes: pyLiteral(model.replayWindow.maxBytes),
      heartbeatMs: pyLiteral(model.heartbeatMs),
      maxFrameBytes: pyLiteral(model.maxFrameBytes),
      capabilities: tuple(model.capabilities.map((v) => pyString(v))),
      transports,
      history,
      messages: messageEntries,
      conformance,
      limits: py`ContractLimits(${new PyCode(LIMIT_NAMES.map((name) => `${snakeCase(name)}=${pyLiteral(model.limits[name]).text}`).join(', '))})`,
    }),
    file('models.py', 'models.py.hbs', 'Types of every message and schema: TypedDicts, Literal types, a union per direction.', {
      exports,
      definitions,
      clientUnion: union(byDirection('client-to-server')),
      serverUnion: union(byDirection('server-to-client')),
    }),
    file('validators.py', 'validators.py.hbs', 'Validators for every message and history schema, and a dispatcher per direction.', {
      constants: checks.constants,
      functions: checks.functions,
      validators,
      clientTable: table(byDirection('client-to-server')),
      serverTable: table(byDirection('server-to-client')),
      payloadTable: table(emitted, true),
    }),
    file('server.py', 'server.py.hbs', 'The typed server: handlers per client message, ctx.emit per data message, transports and history wired.', {
      emitters: emitted.map((m) => ({ member: pyIdentifier(m.python.member), type: m.type, description: m.description, payloadType: payloadTypes.get(m.type)! })),
      // C4: a handler of a message with a reply returns that reply's payload.
      handlers: clientData.map((m) => ({ member: pyIdentifier(m.python.member), type: m.type, description: m.description, messageType: py`m.${pyIdentifier(m.typeName)}`, returns: m.reply !== undefined ? payloadTypes.get(m.reply) : undefined })),
      dispatch: clientData.map((m) => py`${m.type}: lambda frame, ctx: handlers.${pyIdentifier(m.python.member)}(t.cast(m.${pyIdentifier(m.typeName)}, frame), ctx)`),
      historyParams: model.history.map((h) => py`${pyIdentifier(h.python.store)}: HistoryStore[${historyItem(h.itemTypeName)}] | None = None`),
      historyRoutes: model.history.map((h) => py`if ${pyIdentifier(h.python.store)} is not None:\n        history.append(HistoryRoute(CONTRACT.history[${h.name}], ${pyIdentifier(h.python.store)}))`),
      ttlText: `${model.session.ttlMs} ms`,
      conformanceText: c
        ? `a ${c.trigger.type} whose payload equals x-contract.conformance.trigger is answered by the runtime with ${c.produces} data messages built from the spec's examples, instead of by the handler. Seed the history stores with the logs x-contract.conformance.history names.`
        : 'the spec declares no x-contract.conformance block, so this must stay off.',
    }),
  ];
}

/** The registry's entries (emitters.ts): the package's own files, and the runtime copy. */
export const emitPythonPackage = emitPython;
export const emitPythonRuntimeOf = (model: ContractModel): GeneratedFile[] => emitPythonRuntime(pythonPackageName(model));
