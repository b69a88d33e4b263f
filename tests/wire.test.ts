/**
 * generator/wire.ts holds the wire facts every implementation shares (close codes, the HTTP status
 * of each refusal); the wire document, the AsyncAPI export and the probe read them there. The
 * TypeScript runtime keeps its own constants: they must say the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES as RUNTIME_CLOSE_CODES } from '../runtime/frames.js';
import { ERROR_STATUS } from '../runtime/server/server-core.js';
import { CLOSE_CODES, RESUME_FAILURES, statusOf, WIRE_ERRORS } from '../generator/wire.js';
import { generatedDir } from './helpers.js';

describe('the wire tables and the runtime', () => {
  it('use the same WebSocket close codes (the runtime also names 1000, which it never sends)', () => {
    const runtime = Object.values(RUNTIME_CLOSE_CODES).filter((c) => c !== 1000).sort();
    expect(CLOSE_CODES.map((c) => c.code).sort()).toEqual(runtime);
    expect(new Set(CLOSE_CODES.map((c) => c.name)).size).toBe(CLOSE_CODES.length);
  });

  it('give every typed error and refusal the status the runtime answers with', () => {
    const codes = [...WIRE_ERRORS, ...RESUME_FAILURES].map((e) => e.code);
    expect(new Set(codes)).toEqual(new Set(Object.keys(ERROR_STATUS)));
    // superseded only ever travels inside a 200 poll answer; the runtime's 409 is never sent.
    for (const code of codes.filter((c) => c !== 'superseded')) expect(statusOf(code), code).toBe(ERROR_STATUS[code as keyof typeof ERROR_STATUS]);
  });
});

describe('generated/docs/wire.md', () => {
  const text = readFileSync(join(generatedDir, 'docs', 'wire.md'), 'utf8');
  const statements = new Set([...text.matchAll(/^\s*- \*\*([A-Z]\d\.\d+)\*\*/gm)].map((m) => m[1]));

  it('has a row per close code, naming a statement it makes', () => {
    for (const c of CLOSE_CODES) {
      expect(text).toContain(`| ${c.code} | \`${c.name}\` |`);
      expect(statements.has(c.statement), `${c.code} cites ${c.statement}`).toBe(true);
    }
  });

  it('has a row per typed error and resume refusal with its status', () => {
    for (const e of WIRE_ERRORS) expect(text).toMatch(new RegExp(`^\\| \`${e.code}\` \\| .+ \\| ${e.status} \\|$`, 'm'));
    for (const e of RESUME_FAILURES) expect(text).toMatch(new RegExp(`^\\| \`${e.code}\` \\| .+ \\| ${e.status} \\|$`, 'm'));
  });
});
