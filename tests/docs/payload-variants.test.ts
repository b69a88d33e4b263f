/**
 * A payload that is a `oneOf` (agent.event as one branch per kind, the way a second team wrote
 * it): the message catalogue of every scope doc shows each branch with its own fields instead of
 * "none", labelled by its title or by its discriminating const field; the build still passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateResult } from '../../generator/pipeline.js';
import { canonicalSpec, generateFrom, removeTempDirs } from '../helpers.js';

afterAll(removeTempDirs);

let built: GenerateResult;
const text = (path: string): string => built.files.find((f) => f.path === path)!.content;

beforeAll(async () => {
  const spec = canonicalSpec();
  const common = { conversation_id: { $ref: '#/$defs/ConversationId' }, turn_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };
  spec.$defs.AgentEvent.properties.payload = {
    oneOf: [
      { type: 'object', required: ['conversation_id', 'turn_id', 'kind', 'text'], additionalProperties: false, properties: { ...common, kind: { const: 'text' }, text: { type: 'string' } } },
      { title: 'Tool call | <b>bold</b>', type: 'object', required: ['conversation_id', 'turn_id', 'kind', 'tool'], additionalProperties: false, properties: { ...common, kind: { const: 'tool_call' }, tool: { type: 'string' }, data: {} } },
    ],
  };
  built = await generateFrom(spec, 'contractgen-variants-');
}, 60_000);

describe('a oneOf payload in the message catalogue', () => {
  it.each(['docs/backend-runtime.md', 'docs/frontend-runtime.md', 'docs/protocol-schema.md'])('%s lists every branch with its fields', (path) => {
    const row = text(path).split('\n').find((l) => l.startsWith('| `agent.event` |'))!;
    expect(row).not.toContain('| none |');
    expect(row).toContain('one of — kind = "text": `conversation_id`: `ConversationId`, `turn_id`: `string`, `kind`: `"text"`, `text`: `string`');
    // The title is spec text: its pipe is escaped for the table, its tag cannot open HTML (G1).
    expect(row).toContain('<br>one of — Tool call \\| &lt;b>bold&lt;/b>: `conversation_id`');
    expect(row).toContain('`data` (optional): `any JSON`');
  });
});
