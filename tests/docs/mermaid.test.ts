/**
 * The diagram checker (generator/mermaid.ts) on its own, the docs emitter refusing a doc whose
 * diagrams are wrong, and a conformance check against Mermaid's real grammars: every diagram
 * the docs emit, and every mutation of them the checker accepts, must parse with `mermaid`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCS } from '../../generator/emit/docs.js';
import { checkDocDiagrams } from '../../generator/verify.js';
import { checkDiagram, mermaidBlocks } from '../../generator/mermaid.js';
import { generatedDir, repoRoot } from '../helpers.js';

const docs = DOCS.map((d) => ({ path: `docs/${d.file}`, content: readFileSync(join(generatedDir, 'docs', d.file), 'utf8') }));
const emitted = docs.flatMap((d) => mermaidBlocks(d.content).map((b) => b.source));
const sequence = emitted.find((s) => s.startsWith('sequenceDiagram'))!;
const state = emitted.find((s) => s.startsWith('stateDiagram-v2'))!;

const issues = (source: string): string[] => checkDiagram(source).issues.map((i) => `${i.line}: ${i.message}`);

describe('mermaidBlocks', () => {
  it('finds ```mermaid blocks with the line of their first diagram line, and skips other fences', () => {
    const md = ['# t', '', '```json', '{ "a": "```mermaid" }', '```', '', '```mermaid', 'sequenceDiagram', '  A->>B: x', '```', '', '````mermaid', 'stateDiagram-v2', '```', '[*] --> A', '````'].join('\n');
    const blocks = mermaidBlocks(md);
    expect(blocks).toEqual([
      { line: 8, source: 'sequenceDiagram\n  A->>B: x' },
      { line: 13, source: 'stateDiagram-v2\n```\n[*] --> A' },
    ]);
  });
});

describe('checkDiagram: sequence diagrams', () => {
  const ok = ['sequenceDiagram', '    participant C as Client', '    participant S as Server'];

  it('accepts the emitted sequence diagram', () => {
    expect(checkDiagram(sequence)).toEqual({ kind: 'sequence', issues: [] });
  });

  it.each([
    [[...ok, '    C->>X: hello'], '"X" is not a declared participant'],
    [[...ok, '    C->>S: a; b'], 'contains ";"'],
    [[...ok, '    C->>S: #59 entity'], 'contains "#"'],
    [[...ok, '    C->>S: <b>bold</b>'], 'contains "<"'],
    [[...ok, '    C->>S:   '], 'the message text is empty'],
    [[...ok, '    C-=>S: typo arrow'], 'not a sequence diagram statement'],
    [[...ok, '    alt one', '        C->>S: x'], '"alt" is never closed'],
    [[...ok, '    C->>S: x', '    end'], '"end" closes no block'],
    [[...ok, '    else other', '    C->>S: x'], '"else" is only allowed directly inside alt'],
    [[...ok, '    Note left of C,S: x', '    C->>S: y'], 'takes one participant'],
    [[...ok, '    C->>S: x', '    participant L as Late'], 'declared after the first message'],
    [[...ok], 'has no message'],
  ])('refuses %j (%s)', (lines, message) => {
    expect(issues(lines.join('\n')).join('\n')).toContain(message);
  });
});

describe('checkDiagram: state diagrams', () => {
  it('accepts the emitted state diagram', () => {
    expect(checkDiagram(state)).toEqual({ kind: 'state', issues: [] });
  });

  it.each([
    [['stateDiagram-v2', '    A --> B: x'], 'no start transition'],
    [['stateDiagram-v2', '    [*] --> A: one: two'], 'contains ":"'],
    [['stateDiagram-v2', '    [*] --> A: a; b'], 'contains ";"'],
    [['stateDiagram-v2', '    [*] --> A: {x}'], 'brace'],
    [['stateDiagram-v2', '    [*] --> A', '    A -> B'], 'not a state diagram statement'],
    [['stateDiagram-v2', '    [*] --> A', '    note right of A', '        text'], 'never closed with "end note"'],
    [['stateDiagram-v2', '    [*] --> A', '    note right of Z : text'], '"Z", which is not a state'],
    [['stateDiagram-v2', '    [*] --> A', '    state "Orphan" as O'], 'state "O" is declared but no transition'],
    [['stateDiagram-v2', '    [*] --> A', '    state Composite {'], 'composite states'],
    [['stateDiagram-v2'], 'no transition'],
  ])('refuses %j (%s)', (lines, message) => {
    expect(issues(lines.join('\n')).join('\n')).toContain(message);
  });

  it('refuses a diagram kind the docs do not use', () => {
    expect(issues('flowchart LR\n  A --> B')[0]).toContain('"flowchart LR" is not a diagram kind the docs use');
  });
});

describe('the docs emitter refuses a doc whose diagrams are wrong', () => {
  const [doc] = docs;

  it('the committed docs pass', async () => {
    expect(await checkDocDiagrams(docs)).toEqual([]);
  });

  it('a broken diagram: the finding names the doc, its line and the problem', async () => {
    const broken = doc!.content.replace('S--xC: connection lost', 'S--xC: connection lost; retry');
    const line = broken.split('\n').findIndex((l) => l.includes('connection lost; retry')) + 1;
    const findings = await checkDocDiagrams([{ path: doc!.path, content: broken }]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', code: 'docs-diagram', file: doc!.path, line, pointer: 'mermaid block 1 (sequence)' });
    expect(findings[0]!.message).toContain('contains ";"');
  });

  it('a third diagram, or a missing one, is refused', async () => {
    const three = `${doc!.content}\n\`\`\`mermaid\nstateDiagram-v2\n    [*] --> A\n\`\`\`\n`;
    expect((await checkDocDiagrams([{ path: doc!.path, content: three }]))[0]!.message).toContain('exactly two Mermaid diagrams; docs/protocol-contract.md has 3');
    const one = doc!.content.replace('```mermaid\nstateDiagram-v2', '```text\nstateDiagram-v2');
    expect((await checkDocDiagrams([{ path: doc!.path, content: one }]))[0]!.message).toContain('has 1');
  });

  it('two diagrams of the same kind are refused', async () => {
    const twice = doc!.content.replace(/```mermaid\nstateDiagram-v2[\s\S]*?```/, `\`\`\`mermaid\n${sequence}\n\`\`\``);
    const findings = await checkDocDiagrams([{ path: doc!.path, content: twice }]);
    expect(findings.map((f) => f.message).join('\n')).toContain('a sequence diagram and a state diagram');
  });
});

// ---------------------------------------------------------------------------------------------
// Conformance with Mermaid itself

interface MermaidResult {
  readonly ok: boolean;
  readonly error?: string;
}

/** Parses diagrams with the `mermaid` package in a child process (its DOMPurify stubbed out). */
function parseWithMermaid(sources: readonly string[]): Promise<MermaidResult[]> {
  const dir = join(repoRoot, 'tests', 'docs', 'mermaid');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(dir, 'register.mjs'), join(dir, 'parse.mjs')], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as MermaidResult[]) : reject(new Error(`mermaid parse exited ${code}: ${err}`))));
    child.stdin.end(JSON.stringify(sources));
  });
}

/** Small edits of a diagram: each line dropped, a character swapped in, arrows and keywords mangled. */
function mutations(source: string): string[] {
  const lines = source.split('\n');
  const out = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    out.add([...lines.slice(0, i), ...lines.slice(i + 1)].join('\n'));
    for (const [from, to] of [
      ['->>', '-=>'], ['-->>', '->>'], ['-->>', '--x'], ['-->', '->'], ['-->', '--'], [': ', ' '], [': ', ': x; y '], [': ', ': a: b '],
      ['with', '# with'], ['participant', 'participants'], ['alt', 'alts'], ['else', 'elif'], ['end', 'end end'],
      ['Note over', 'Note above'], ['note right of', 'note behind'], [' as ', ' is '], ['[*]', '[]'], ['state', 'State'], ['end note', 'endnote'],
      ['C', 'c'], ['S', 'Srv'], ['Attached', 'Attached{'],
    ] as const) {
      if (line.includes(from)) out.add([...lines.slice(0, i), line.replace(from, to), ...lines.slice(i + 1)].join('\n'));
    }
  }
  out.delete(source);
  return [...out];
}

describe('conformance with Mermaid (mermaid 11 grammars, Node, no browser)', () => {
  it('every diagram the docs emit parses with Mermaid', async () => {
    const unique = [...new Set(emitted)];
    const results = await parseWithMermaid(unique);
    results.forEach((r, i) => expect(r, unique[i]).toEqual({ ok: true }));
  }, 60_000);

  it('whatever the checker accepts, Mermaid accepts: single-edit mutations of the emitted diagrams', async () => {
    const candidates = [...new Set(emitted.flatMap(mutations))];
    const accepted = candidates.filter((s) => checkDiagram(s).issues.length === 0);
    const rejected = candidates.filter((s) => checkDiagram(s).issues.length > 0);
    const results = await parseWithMermaid([...accepted, ...rejected]);
    const unsound = accepted.filter((_, i) => !results[i]!.ok);
    expect(unsound, `the checker accepted what Mermaid refuses:\n${unsound.map((s, i) => `${s}\n→ ${results[accepted.indexOf(s)]!.error}`).slice(0, 3).join('\n\n')}`).toEqual([]);
    // The checker is stricter than Mermaid on purpose (undeclared participants, orphan states),
    // and refuses a good share of what Mermaid refuses too.
    const bothRefuse = rejected.filter((_, i) => !results[accepted.length + i]!.ok).length;
    console.log(`mutations: ${candidates.length}, checker accepts ${accepted.length} (Mermaid accepts all of them), checker refuses ${rejected.length} (Mermaid refuses ${bothRefuse} of those)`);
    expect(accepted.length).toBeGreaterThan(10);
    expect(bothRefuse).toBeGreaterThan(10);
  }, 60_000);
});

describe('the sequence diagram of every doc', () => {
  it.each(docs)('$path shows the application flow beside the kernel: a client message, its handler, the data it produces', ({ path, content }) => {
    const seq = mermaidBlocks(content).find((b) => b.source.startsWith('sequenceDiagram'))!.source;
    const lines = seq.split('\n').map((l) => l.trim());
    const input = lines.indexOf("C->>S: chat.send with header.session_id, the application's own message");
    expect(input, path).toBeGreaterThan(lines.findIndex((l) => l.startsWith('S-->>C: protocol.hello')));
    expect(lines.findIndex((l) => l === 'S-->>C: ui.render with seq 1')).toBeGreaterThan(input);
    if (path.endsWith('backend-runtime.md')) expect(lines[input + 1]).toBe('S->>A: handlers.chatSend(message, ctx)');
  });
});
