/**
 * Emitters — validators.ts and validators.ajv.ts (generator/emit/validators.ts, validators-ajv.ts):
 * a validator per validated schema, a payload validator per data message, a dispatcher per
 * direction, and the table the runtime checks with; Ajv's standalone code exports each one.
 */
import { describe, expect, it } from 'vitest';
import { emitValidators } from '../../generator/emit/validators.js';
import { standaloneCode } from '../../generator/emit/validators-ajv.js';
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
});
