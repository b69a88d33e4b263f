/**
 * Emitter — `contract.ts`: the protocol parameters of the spec as one typed constant (versions,
 * window, TTL, transports, history endpoints, the message catalogue). The runtime is configured
 * from it; nothing reads the spec at run time.
 */
import type { CodeBlockWriter, Project, WriterFunction } from 'ts-morph';
import { VariableDeclarationKind, Writers } from '../ts-morph.js';
import type { ContractModel } from '../model.js';
import { literal, propertyKey } from '../naming.js';
import type { GeneratedFile } from '../files.js';
import { createTsFile } from '../printer.js';

/** A JSON value from the spec (an example payload, say), written on one line by literal(). */
class JsonValue {
  constructor(readonly json: unknown) {}
}

type Shape = string | number | boolean | JsonValue | readonly Shape[] | { readonly [key: string]: Shape | undefined };

/** Writes a JSON-like value through ts-morph writers: objects by Writers.object, leaves by literal(). */
function value(v: Shape): string | WriterFunction {
  if (v instanceof JsonValue) return literal(v.json);
  if (Array.isArray(v)) return (w: CodeBlockWriter) => {
    w.write('[');
    v.forEach((item, i) => {
      if (i > 0) w.write(', ');
      const inner = value(item);
      if (typeof inner === 'string') w.write(inner);
      else inner(w);
    });
    w.write(']');
  };
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, Shape | undefined>).filter((e): e is [string, Shape] => e[1] !== undefined);
    return Writers.object(Object.fromEntries(entries.map(([k, x]) => [propertyKey(k), value(x)])));
  }
  return literal(v);
}

export function contractShape(model: ContractModel): Shape {
  const transports: Record<string, Shape> = {};
  for (const t of model.transports) transports[t.kind] = { path: t.path, messagesPath: t.messagesPath, holdMs: t.holdMs };
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
      model.history.map((h) => [h.name, { name: h.name, path: h.path, pathParams: h.pathParams.map((p) => ({ name: p.name, pattern: p.pattern })), maxLimit: h.maxLimit }]),
    ),
    messages: Object.fromEntries(
      model.messages.map((m) => [m.type, { type: m.type, typeName: m.typeName, member: m.memberName, direction: m.direction, role: m.role, sequenced: m.sequenced }]),
    ),
    conformance: model.conformance && {
      trigger: { type: model.conformance.trigger.type, payload: new JsonValue(model.conformance.trigger.payload) },
      produces: model.conformance.produces,
      samples: model.conformance.samples.map((s) => ({ type: s.type, payload: new JsonValue(s.payload) })),
      history: model.conformance.history.map((h) => ({ endpoint: h.endpoint, params: new JsonValue(h.params), minItems: h.minItems })),
    },
  };
}

export function emitContract(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'contract.ts', 'Protocol parameters and the message catalogue, as constants.');
  const descriptor = file.use('ContractDescriptor', './runtime/contract.js', { type: true });
  file.source.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`The ${model.name} contract ${model.version}: every number and name the runtime enforces (S1–S5, Q1–Q5, R1–R4, H1–H2, W1–W6, L2).`],
    declarations: [
      {
        name: 'contract',
        initializer: (w) => {
          const v = value(contractShape(model));
          if (typeof v === 'string') w.write(v);
          else v(w);
          w.write(` as const satisfies ${descriptor}`);
        },
      },
    ],
  });
  file.source.addTypeAlias({ isExported: true, name: 'Contract', type: 'typeof contract', docs: ['The literal type of the contract constant.'] });
  return [file.done()];
}
