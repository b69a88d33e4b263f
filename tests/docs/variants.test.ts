/**
 * The docs and exports of a smaller contract: WebSocket only and no history endpoint (a copy of
 * the canonical spec with those removed). Every row of the trace still resolves to code this
 * build generates, the diagrams still pass, the exports still validate, and nothing speaks of a
 * transport or an endpoint the contract does not have.
 */
import { Parser } from '@asyncapi/parser';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDiagram, mermaidBlocks } from '../../generator/mermaid.js';
import type { GenerateResult } from '../../generator/pipeline.js';
import { canonicalSpec, generateFrom, removeTempDirs } from '../helpers.js';

afterAll(removeTempDirs);

let small: GenerateResult;
const text = (path: string): string => small.files.find((f) => f.path === path)!.content;
const docs = ['protocol-contract.md', 'backend-runtime.md', 'frontend-runtime.md', 'protocol-schema.md'].map((f) => `docs/${f}`);

beforeAll(async () => {
  const spec = canonicalSpec();
  delete spec['x-contract'].history;
  delete spec['x-contract'].conformance.history; // no endpoint, so no log for the probe to read
  delete spec['x-contract'].transports.sse;
  delete spec['x-contract'].transports.poll;
  spec['x-contract'].capabilities = ['ack', 'resume'];
  for (const name of ['HistoryChunk', 'HistoryQuery', 'ConversationHistoryResponse', 'HistoryError']) delete spec.$defs[name];
  spec.$defs.ProtocolHello.examples[0].payload.transports = ['websocket'];
  spec.$defs.ProtocolHello.examples[0].payload.capabilities = ['ack', 'resume'];
  small = await generateFrom(spec, 'contractgen-small-');
}, 60_000);

describe('a WebSocket-only contract without history', () => {
  it('builds (every trace row that applies resolves), with two passing diagrams per doc', () => {
    for (const path of docs) {
      const blocks = mermaidBlocks(text(path));
      expect(blocks, path).toHaveLength(2);
      for (const b of blocks) expect(checkDiagram(b.source).issues, path).toEqual([]);
    }
  });

  it('the docs name no SSE, long-polling or history endpoint in their rules', () => {
    for (const path of docs) {
      const t = text(path);
      const rules = t.slice(0, t.indexOf('## Trace') >= 0 ? t.indexOf('## Trace') : t.length);
      for (const word of ['EventSource', 'Last-Event-ID', 'long-polling', 'POST /messages', '/conversations/', 'sinceSeq']) expect(rules, `${path}: ${word}`).not.toContain(word);
    }
    const trace = text('docs/backend-runtime.md').slice(text('docs/backend-runtime.md').indexOf('## Trace'));
    expect(trace).not.toContain('transports/sse.ts');
    expect(trace).not.toContain('history.ts');
  });

  it('the sequence diagram resumes over WebSocket only', () => {
    const sequence = mermaidBlocks(text('docs/protocol-contract.md')).find((b) => b.source.startsWith('sequenceDiagram'))!.source;
    expect(sequence).toContain('alt WebSocket');
    expect(sequence).not.toContain('else');
  });

  it('asyncapi.json has the WebSocket channel only and parses without errors', async () => {
    const doc = JSON.parse(text('asyncapi.json'));
    expect(Object.keys(doc.channels)).toEqual(['websocket']);
    const { diagnostics } = await new Parser().parse(text('asyncapi.json'));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => d.message)).toEqual([]);
  });

  it('openapi.json has no paths and still validates', async () => {
    const doc = JSON.parse(text('openapi.json'));
    expect(doc.paths).toEqual({});
    const result = await validate(doc);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });
});
