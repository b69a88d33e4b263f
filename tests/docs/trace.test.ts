/**
 * The trace is checked on every build: a row whose symbol (or file) the build does not generate
 * makes `generate()` and `contractgen build` fail with a message naming the rule, the file and
 * the symbol. Placeholders take the spec's own names; rows a spec cannot fill are left out.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../generator/diagnostics.js';
import { OutputCheckError } from '../../generator/files.js';
import { load } from '../../generator/loader.js';
import { buildModel } from '../../generator/model.js';
import { generate } from '../../generator/pipeline.js';
import { resolveTrace } from '../../generator/trace-resolve.js';
import { RULES, TRACE, type TraceRow } from '../../generator/trace.js';
import { checkTrace, exportsSymbol } from '../../generator/verify.js';
import { canonicalSpec, removeTempDirs, runNode, specPath, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

const model = buildModel(load(specPath), 'spec/protocol.schema.json');

describe('exportsSymbol', () => {
  it.each([
    ['export function createOutbox(options: OutboxOptions): Outbox {', 'createOutbox', true],
    ['export async function serveHistory<T>(', 'serveHistory', true],
    ['export const ERROR_STATUS: Readonly<Record<string, number>> = {', 'ERROR_STATUS', true],
    ['export interface AgentUiEmitter {', 'AgentUiEmitter', true],
    ['export type SessionId = string;', 'SessionId', true],
    ['export class OutboundRejectedError extends Error {', 'OutboundRejectedError', true],
    ['export function createOutboxes() {}', 'createOutbox', false],
    ['function createOutbox() {}', 'createOutbox', false],
    ['// export function createOutbox() {}', 'createOutbox', false],
    ['const x = 1; export { createOutbox };', 'createOutbox', false],
    ['import { createOutbox } from "./outbox.js";', 'createOutbox', false],
  ] as const)('%s → %s: %s', (text, symbol, expected) => {
    expect(exportsSymbol(text, symbol)).toBe(expected);
  });
});

describe('resolveTrace', () => {
  const rows = resolveTrace(model);

  it('fills the placeholders with the spec\'s names', () => {
    expect(rows).toContainEqual(expect.objectContaining({ rule: 'Q1', doc: 'backend', file: 'server.ts', symbol: 'AgentUiEmitter' }));
    expect(rows).toContainEqual(expect.objectContaining({ rule: 'S5', doc: 'schema', symbol: 'ClientHeader' }));
    expect(rows).toContainEqual(expect.objectContaining({ rule: 'Q2', doc: 'schema', symbol: 'Seq' }));
    expect(rows).toContainEqual(expect.objectContaining({ rule: 'H2', doc: 'schema', symbol: 'ProtocolVersion' }));
    expect(rows).toContainEqual(expect.objectContaining({ rule: 'W2', doc: 'schema', symbol: 'validateHistoryQuery' }));
    expect(rows.some((r) => r.symbol.includes('{'))).toBe(false);
  });

  it('leaves out a row whose placeholder the spec cannot fill', () => {
    const row: TraceRow = { rule: 'W1', doc: 'schema', file: 'types.ts', symbol: '{history:query}', what: 'the query' };
    expect(resolveTrace(model, [row])).toEqual([{ ...row, symbol: 'HistoryQuery' }]);
    expect(resolveTrace({ ...model, history: [] }, [row])).toEqual([]);
  });

  it('leaves out a row that does not apply to the contract (no history endpoint, not its transport)', () => {
    const rows: TraceRow[] = [
      { rule: 'W2', doc: 'backend', file: 'runtime/server/history.ts', symbol: 'parseHistoryQuery', what: 'x', when: 'history' },
      { rule: 'R4', doc: 'backend', file: 'runtime/server/transports/sse.ts', symbol: 'createSseTransport', what: 'x', when: 'sse' },
      { rule: 'S5', doc: 'backend', file: 'runtime/server/transports/messages.ts', symbol: 'createMessagesEndpoint', what: 'x', when: 'http' },
      { rule: 'R1', doc: 'backend', file: 'runtime/server/transports/websocket.ts', symbol: 'createWebSocketTransport', what: 'x', when: 'websocket' },
    ];
    expect(resolveTrace(model, rows)).toHaveLength(4);
    const wsOnly = { ...model, history: [], transports: model.transports.filter((t) => t.kind === 'websocket') };
    expect(resolveTrace(wsOnly, rows).map((r) => r.rule)).toEqual(['R1']);
  });

  it('refuses an unknown placeholder kind (a typo in generator/trace.ts)', () => {
    expect(() => resolveTrace(model, [{ rule: 'Q1', doc: 'backend', file: 'server.ts', symbol: '{prefx}Emitter', what: 'x' }])).toThrow(/unknown placeholder \{prefx\}/);
  });

  it('every rule has a backend row, and every doc has rows', () => {
    expect(new Set(rows.filter((r) => r.doc === 'backend').map((r) => r.rule))).toEqual(new Set(RULES.map((r) => r.id)));
    for (const doc of ['backend', 'frontend', 'schema'] as const) expect(rows.some((r) => r.doc === doc)).toBe(true);
  });
});

describe('checkTrace', () => {
  const files = [
    { path: 'runtime/server/outbox.ts', content: 'export function createOutbox() {}\n' },
    { path: 'server.ts', content: 'export interface AgentUiEmitter {}\n' },
  ];

  it('passes rows whose file exports the symbol', () => {
    expect(checkTrace([{ rule: 'Q3', doc: 'backend', file: 'runtime/server/outbox.ts', symbol: 'createOutbox', what: 'x' }], files)).toEqual([]);
  });

  it('names the rule, file and symbol of a row whose symbol is not exported', () => {
    const [f] = checkTrace([{ rule: 'Q3', doc: 'backend', file: 'runtime/server/outbox.ts', symbol: 'createOutboxV2', what: 'x' }], files);
    expect(f).toMatchObject({ severity: 'error', code: 'trace-symbol-missing', rule: 'Q3', file: 'generator/trace.ts' });
    expect(f!.message).toContain('`createOutboxV2` in runtime/server/outbox.ts');
  });

  it('names the rule and file of a row whose file is not generated', () => {
    const [f] = checkTrace([{ rule: 'R1', doc: 'frontend', file: 'runtime/client/gone.ts', symbol: 'createGone', what: 'x' }], files);
    expect(f).toMatchObject({ code: 'trace-file-missing', rule: 'R1' });
    expect(f!.message).toContain('runtime/client/gone.ts');
  });
});

describe('the build refuses a trace that points at a missing symbol', () => {
  const broken: TraceRow = { rule: 'Q3', doc: 'backend', file: 'runtime/server/outbox.ts', symbol: 'createOutboxThatIsGone', what: 'the one send path' };

  it('generate() rejects with an OutputCheckError naming the rule, the file and the symbol', async () => {
    const error = await generate({ spec: specPath, out: 'generated', worker: false, trace: [...TRACE, broken] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutputCheckError);
    expect(error).toBeInstanceOf(ContractError);
    const e = error as OutputCheckError;
    expect(e.findings).toHaveLength(1);
    expect(e.message).toContain('1 check(s) on the generated output failed');
    expect(e.message).toContain('[Q3 trace-symbol-missing]');
    expect(e.message).toContain('runtime/server/outbox.ts');
    expect(e.message).toContain('createOutboxThatIsGone');
  });

  it('so does a spec whose names no longer match a row (the placeholder resolves, the symbol does not exist)', async () => {
    // A row for a schema type the trace expects by a fixed name: renaming it in the spec breaks the row.
    const row: TraceRow = { rule: 'W4', doc: 'schema', file: 'types.ts', symbol: 'HistoryChunk', what: 'a history item' };
    const spec = canonicalSpec();
    const text = JSON.stringify(spec, null, 2).replace(/HistoryChunk/g, 'ConversationItem');
    const dir = tempDir('contractgen-trace-');
    const file = join(dir, 'protocol.schema.json');
    writeFileSync(file, `${text}\n`);
    await expect(generate({ spec: file, out: join(dir, 'generated'), worker: false, trace: [...TRACE, row] })).rejects.toThrow(/\[W4 trace-symbol-missing\][\s\S]*HistoryChunk[\s\S]*types\.ts/);
    // …while the shipped trace, which names it through {history:item}, follows the rename.
    await expect(generate({ spec: file, out: join(dir, 'generated'), worker: false })).resolves.toBeDefined();
  });

  it('`contractgen build` exits 1, prints the finding and writes nothing', async () => {
    // The compiled CLI reads the trace from dist/; a copy of the package with a broken trace row
    // would be heavy, so this drives the CLI entry with a tiny loader that swaps in the broken row.
    const dir = tempDir('contractgen-trace-cli-');
    mkdirSync(join(dir, 'spec'));
    cpSync(specPath, join(dir, 'spec', 'protocol.schema.json'));
    const script = join(dir, 'run.mjs');
    const root = join(import.meta.dirname, '..', '..');
    writeFileSync(
      script,
      `import { TRACE } from ${JSON.stringify(join(root, 'dist', 'generator', 'trace.js'))};\n` +
        `TRACE.push(${JSON.stringify(broken)});\n` +
        `const { main } = await import(${JSON.stringify(join(root, 'dist', 'generator', 'cli.js'))});\n` +
        `let out = '', err = '';\n` +
        `const code = await main(['build', '--spec', 'spec/protocol.schema.json', '--out', 'generated'], { out: (t) => (out += t), err: (t) => (err += t) });\n` +
        `process.stdout.write(JSON.stringify({ code, out, err }));\n`,
    );
    const r = await runNode([script], dir);
    const result = JSON.parse(r.stdout) as { code: number; out: string; err: string };
    expect(result.code).toBe(1);
    expect(result.err).toContain('generator/trace.ts error [Q3 trace-symbol-missing] trace Q3 (backend) → runtime/server/outbox.ts `createOutboxThatIsGone`');
    expect(result.err).toContain('contractgen build: 1 check(s) on the generated output failed; nothing was written');
    expect(existsSync(join(dir, 'generated'))).toBe(false);
  });
});
