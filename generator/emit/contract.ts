/**
 * Emitter — `contract.ts`: the contract's descriptor and types. The protocol parameters as one
 * typed constant (versions, window, TTL, transports, history endpoints, the message catalogue),
 * which the runtime is configured from (nothing reads the spec at run time), and `<Prefix>Protocol`,
 * the contract's types by the names generated APIs give them, which the runtime's generic server
 * and client derive their typed surface from.
 */
import type { Project } from 'ts-morph';
import type { ContractDescriptor } from '../../runtime/contract.js';
import { ts, tsJoin, tsLiteral, tsObject, tsString, tsTypeLiteral, type Code } from '../escape.js';
import type { GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import { createTsFile, type TsFile } from '../printer.js';

/** The descriptor of the contract, as the runtime declares it: a missing or misspelt field is a compile error here. */
export function contractDescriptor(model: ContractModel): ContractDescriptor {
  const transports: Record<string, object> = {};
  for (const t of model.transports) transports[t.kind] = { path: t.path, ...(t.messagesPath !== undefined ? { messagesPath: t.messagesPath } : {}), ...(t.holdMs !== undefined ? { holdMs: t.holdMs } : {}) };
  return {
    name: model.name,
    version: model.version,
    specHash: model.specHash,
    protocolVersions: model.protocolVersions,
    seqOrigin: model.seqOrigin,
    session: model.session,
    replayWindow: model.replayWindow,
    heartbeatMs: model.heartbeatMs,
    maxFrameBytes: model.maxFrameBytes,
    limits: { ...model.limits },
    capabilities: model.capabilities,
    transports,
    history: Object.fromEntries(
      model.history.map((h) => [h.name, { name: h.name, path: h.path, pathParams: h.pathParams.map((p) => ({ name: p.name, ...(p.pattern !== undefined ? { pattern: p.pattern } : {}) })), ...(h.maxLimit !== undefined ? { maxLimit: h.maxLimit } : {}) }]),
    ),
    messages: Object.fromEntries(
      model.messages.map((m) => [m.type, { type: m.type, typeName: m.typeName, member: m.memberName, direction: m.direction, role: m.role, sequenced: m.sequenced, kernel: m.kernel, ...(m.reply !== undefined ? { reply: m.reply } : {}) }]),
    ),
    ...(model.conformance
      ? {
          conformance: {
            trigger: model.conformance.trigger,
            produces: model.conformance.produces,
            samples: model.conformance.samples,
            ...(model.conformance.reply ? { reply: model.conformance.reply } : {}),
            history: model.conformance.history,
          },
        }
      : {}),
  };
}

/** Payloads from the spec's examples: written on one line, as JSON (they are data, not parameters). */
const INLINE = new Set(['payload', 'params']);

/** A descriptor value as code: objects one property a line, arrays of scalars and example payloads on one. */
function value(v: unknown, key = ''): Code {
  if (INLINE.has(key) || v === null || typeof v !== 'object') return tsLiteral(v);
  if (Array.isArray(v)) return ts`[${tsJoin(v.map((x) => value(x)), ts`, `)}]`;
  return tsObject(Object.entries(v).map(([k, x]) => [k, value(x, k)] as const));
}

export function emitContract(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'contract.ts', 'Protocol parameters and the message catalogue, as constants, and the contract\'s types.');
  const descriptor = file.use('ContractDescriptor', './runtime/contract.js', { type: true });
  file.consts([
    {
      name: ts`contract`,
      docs: [`The ${model.name} contract ${model.version}: every number and name the runtime enforces (S1–S5, Q1–Q5, R1–R4, H1–H2, W1–W6, L2).`],
      initializer: ts`${value(contractDescriptor(model))} as const satisfies ${descriptor}`,
    },
  ]);
  file.typeAlias({ name: ts`Contract`, type: ts`typeof contract`, docs: ['The literal type of the contract constant.'] });
  emitProtocolTypes(file, model);
  return [file.done()];
}

/** `<Prefix>Protocol`: every message and history endpoint by its generated name, with its types (see ProtocolTypes). */
function emitProtocolTypes(file: TsFile, model: ContractModel): void {
  const type = (name: string): Code => file.use(name, './types.js', { type: true });
  const Contract = ts`Contract`;
  const messages = model.messages.map((m) => ({
    name: m.memberName,
    doc: `\`${m.type}\` (${m.direction}, ${m.role})${m.summary ? ` — ${m.summary}` : ''}`,
    type: ts`${file.use('MessageOf', './runtime/contract.js', { type: true })}<${Contract}, ${type('MessageByType')}, ${tsString(m.type)}>`,
  }));
  const history = model.history.map((h) => ({
    name: h.name,
    doc: `GET ${h.path}${h.summary ? ` — ${h.summary}` : ''}`,
    type: ts`${file.use('HistoryOf', './runtime/contract.js', { type: true })}<${Contract}, ${tsString(h.name)}, ${type(h.itemTypeName)}>`,
  }));
  file.interface({
    name: model.api.protocol,
    docs: [`The ${model.name} contract's types, by the names generated APIs give them: what the runtime's generic server and client are typed with.`],
    properties: [
      { name: ts`contract`, type: Contract },
      { name: ts`messages`, type: tsTypeLiteral(messages) },
      { name: ts`history`, type: tsTypeLiteral(history) },
      { name: ts`helloApp`, type: model.helloAppTypeName ? type(model.helloAppTypeName) : ts`undefined`, docs: ['H1: the type of the hello\'s `payload.app` (undefined: the spec does not extend the kernel\'s HelloApp).'] },
    ],
  });
}
