/**
 * A TypeScript and a Python process share sessions in Redis only if both stores run the same Lua
 * (runtime-py/contractgen_runtime/server/redis_scripts.py says "word for word"): each script the
 * Python store has must be, byte for byte, the one of the same name in runtime/server/redis-scripts.ts
 * (or, prefixed HISTORY_, in history-redis.ts), so an edit to one side alone fails here.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as historyScripts from '../../runtime/server/history-redis.js';
import * as sessionScripts from '../../runtime/server/redis-scripts.js';
import { repoRoot } from '../helpers.js';
import { requireVenv, venvPython } from './helpers.js';

type Script = { readonly name: string; readonly lua: string };
const isScript = (v: unknown): v is Script => typeof v === 'object' && v !== null && typeof (v as Script).lua === 'string';

function tsScripts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(sessionScripts)) if (isScript(v)) out.set(name, v.lua);
  for (const [name, v] of Object.entries(historyScripts)) if (isScript(v)) out.set(`HISTORY_${name}`, v.lua);
  return out;
}

function pyScripts(): Map<string, string> {
  requireVenv();
  const code = 'import json, contractgen_runtime.server.redis_scripts as m\nprint(json.dumps({k: v for k, v in vars(m).items() if k.isupper() and isinstance(v, str)}))';
  const out = execFileSync(venvPython, ['-c', code], { cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'runtime-py') }, encoding: 'utf8' });
  return new Map(Object.entries(JSON.parse(out) as Record<string, string>));
}

describe('the Redis Lua scripts of the TypeScript and the Python stores', () => {
  const ts = tsScripts();
  const py = pyScripts();

  it('finds the scripts on both sides', () => {
    expect(py.size).toBeGreaterThanOrEqual(15);
    expect(ts.size).toBeGreaterThanOrEqual(py.size);
  });

  it('every Python script is the TypeScript one of the same name, byte for byte', () => {
    for (const [name, lua] of py) {
      expect(ts.has(name), `${name} has no TypeScript counterpart`).toBe(true);
      expect(lua, name).toBe(ts.get(name));
    }
  });

  it('the Python store lacks none of the TypeScript scripts (fan-out indexes included: both runtimes keep them)', () => {
    expect([...ts.keys()].filter((n) => !py.has(n)).sort()).toEqual([]);
  });
});
