/**
 * Emitters — validators.ts and validators.ajv.ts (generator/emit/validators.ts, validators-ajv.ts):
 * a validator per validated schema, a payload validator per data message, a dispatcher per
 * direction, and the table the runtime checks with; Ajv's standalone code exports each one.
 */
import { describe, expect, it } from 'vitest';
import { emitValidators } from '../../generator/emit/validators.js';
import { standaloneCode } from '../../generator/emit/validators-ajv.js';
import { leanAjvCode } from '../../generator/lean-ajv-code.js';
import { createProject } from '../../generator/printer.js';
import { fixtureSpec, modelOf } from '../support/model.js';

describe('validators.ts', () => {
  it.each([
    { name: 'chat-mini: one data message, no history', given: 'chat-mini', want: { has: ['export const validateNoteAddedPayload', 'payloads: {\n    "note.added": validateNoteAddedPayload,\n  },', 'history: {},'], not: ['validateNoteAddPayload'] } },
    { name: 'agent-ui: history responses by endpoint', given: 'agent-ui', want: { has: ['conversationHistory: validateConversationHistoryResponse', 'export const validateHistoryQuery'], not: ['validateChatSendPayload'] } },
  ] as const)('$name', async ({ given, want }) => {
    const { formatFiles } = await import('../../generator/formatter.js');
    const [file] = await formatFiles(emitValidators(modelOf(fixtureSpec(given)), createProject()));
    for (const w of want.has) expect(file!.content).toContain(w);
    for (const w of want.not) expect(file!.content).not.toContain(w);
    expect(file!.content).toContain('} satisfies ContractValidators;');
  });
});

describe('validators.ajv.ts', () => {
  it('exports the Ajv function of every validated schema and data payload, and requires nothing', () => {
    const model = modelOf(fixtureSpec('chat-mini'));
    const code = standaloneCode(model);
    for (const v of model.validated) expect(code).toMatch(new RegExp(`export const ${v.raw}\\b`));
    expect(code).toMatch(/export const rawNoteAddedPayload\b/);
    expect(code).not.toMatch(/\brequire\(/);
  });

  it('compiles each def once: a data message calls its payload validator and the shared header instead of inlining them', () => {
    const code = standaloneCode(modelOf(fixtureSpec('agent-ui')));
    const defined = [...code.matchAll(/^function (v\d+)\(/gm)].map((m) => m[1]!);
    expect(new Set(defined).size).toBe(defined.length);
    // Ajv's code is not indented: a function runs until the next top-level declaration.
    const fn = (name: string): string => {
      const start = code.indexOf(`function ${name}(`);
      const next = /\n(?:function |export |const (?:schema|pattern)\d)/g;
      next.lastIndex = start + 1;
      return code.slice(start, next.exec(code)?.index ?? code.length);
    };
    const payload = /export const rawAgentEventPayload = \$x\((v\d+)\);/.exec(code)![1]!;
    const message = /export const rawAgentEvent = \$x\((v\d+)\);/.exec(code)![1]!;
    // A call passes the data alone: its instance path is built only if it fails.
    expect(fn(message)).toContain(`if(!${payload}(d.payload)){`);
    // The data header is one function, called by every data message.
    const headers = ['rawAgentEvent', 'rawUiRender', 'rawUiPatch'].map((m) => /if\(!(v\d+)\(d\.header\)\)/.exec(fn(new RegExp(`export const ${m} = \\$x\\((v\\d+)\\);`).exec(code)![1]!))?.[1]);
    expect(headers[0]).toBeDefined();
    expect(new Set(headers).size).toBe(1);
  });

  it('carries no dynamic-scope bookkeeping, error literals, schemaPath or unused schema constants for a spec that needs none', () => {
    const code = standaloneCode(modelOf(fixtureSpec('agent-ui')));
    expect(code).not.toContain('dynamicAnchors');
    expect(code).not.toContain('evaluated');
    expect(code).not.toContain('schemaPath');
    expect(code).not.toContain('instancePath');
    // Every failure is one call to the shared helper, with its site in the table; no function keeps errors but the exported ones ($x).
    expect(code).toMatch(/return \$f\("\/header",\d+\);|return \$r\("\/header"\);/);
    expect(code).not.toContain('.errors');
    expect(code).toContain('const $sites = [');
    for (const [, name] of code.matchAll(/^const (schema\d+) = /gm)) expect(code.split(new RegExp(`\\b${name}\\b`)).length - 1).toBeGreaterThan(1);
  });

  it('keeps Ajv code it does not fully understand as it is: a dynamic scope, a leftover context name, a template literal', () => {
    const body = '{\nlet vErrors = null;\nlet errors = 0;\nvalidate1.errors = vErrors;\nreturn errors === 0;\n}';
    expect(leanAjvCode(`function validate1(data, {instancePath="", parentData, parentDataProperty, rootData=data}={})${body}`)?.code).toContain('function v1(d){');
    expect(leanAjvCode(`function validate1(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={})${body}`)).toBeUndefined();
    expect(leanAjvCode(`function validate1(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){\nif(parentData){}\n}`)).toBeUndefined();
    expect(leanAjvCode('const x = `a${1}b`;')).toBeUndefined();
  });
});
