/**
 * The docs and both exports follow the spec: a copy of the canonical spec with another replay
 * window, session TTL and history maxLimit, built in memory, changes every place those numbers
 * are stated, and the canonical numbers are gone from them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateResult } from '../../generator/pipeline.js';
import { canonicalSpec, generateFrom, removeTempDirs } from '../helpers.js';

afterAll(removeTempDirs);

const canonical = canonicalSpec()['x-contract'];
const MAX_MESSAGES = 2345;
const TTL_MS = 300_000; // 5 min
const MAX_LIMIT = 250;

let changed: GenerateResult;
const text = (path: string): string => changed.files.find((f) => f.path === path)!.content;
const section = (doc: string, from: string, to: string): string => {
  const t = text(doc);
  return t.slice(t.indexOf(from), t.indexOf(to));
};

beforeAll(async () => {
  const spec = canonicalSpec();
  spec['x-contract'].replayWindow.maxMessages = MAX_MESSAGES;
  spec['x-contract'].session.ttlMs = TTL_MS;
  spec['x-contract'].history[0].maxLimit = MAX_LIMIT;
  changed = await generateFrom(spec, 'contractgen-docs-');
}, 60_000);

describe('a changed spec changes the docs', () => {
  it.each(['backend-runtime.md', 'frontend-runtime.md', 'protocol-schema.md'])('%s: Rules & Constraints states the new window, TTL and maxLimit, not the old ones', (name) => {
    const rules = section(`docs/${name}`, '## Rules & Constraints', '## Message catalogue');
    expect(rules).toContain(`the last ${MAX_MESSAGES} data messages`);
    expect(rules).toContain(`${TTL_MS} ms (5 min)`);
    expect(rules).toContain(`at most ${MAX_LIMIT} items per page`);
    expect(rules).not.toContain(`the last ${canonical.replayWindow.maxMessages} data messages`);
    expect(rules).not.toContain(`${canonical.session.ttlMs} ms`);
    expect(rules).not.toContain(`at most ${canonical.history[0].maxLimit} items`);
  });

  it('the contract note states them in its decisions, its resume rules and its diagrams', () => {
    const note = text('docs/protocol-contract.md');
    expect(note).toContain(`within the last ${MAX_MESSAGES} messages`);
    expect(note).toContain(`The replay window holds the last ${MAX_MESSAGES} data messages`);
    expect(note).toContain(`A session outlives its transport for ${TTL_MS} ms (5 min)`);
    expect(note).toContain(`at most ${MAX_LIMIT} items a page`);
    expect(note).toContain(`| integer from 1 to ${MAX_LIMIT} |`);
    expect(note).toContain('Note over S: session detached, kept for 5 min');
    expect(note).toContain('Detached --> Expired: 5 min without a transport');
    expect(note).not.toContain('2 min');
  });

  it('the backend doc\'s diagrams follow the TTL', () => {
    expect(text('docs/backend-runtime.md')).toContain('protocol.resume within 5 min');
  });
});

describe('a changed spec changes both exports', () => {
  it('asyncapi.json carries the new window and TTL', () => {
    const doc = JSON.parse(text('asyncapi.json'));
    expect(doc['x-protocol'].replayWindow.maxMessages).toBe(MAX_MESSAGES);
    expect(doc['x-protocol'].session.ttlMs).toBe(TTL_MS);
  });

  it('openapi.json bounds limit by the new maxLimit and carries the new window and TTL', () => {
    const doc = JSON.parse(text('openapi.json'));
    const params = doc.paths['/conversations/{conversationId}'].get.parameters as { name: string; schema: { maximum?: number } }[];
    expect(params.find((p) => p.name === 'limit')!.schema.maximum).toBe(MAX_LIMIT);
    expect(doc['x-protocol'].replayWindow.maxMessages).toBe(MAX_MESSAGES);
    expect(doc['x-protocol'].session.ttlMs).toBe(TTL_MS);
  });
});
