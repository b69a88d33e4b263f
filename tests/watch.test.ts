/**
 * `contractgen build --watch` as users run it (the compiled CLI, its ts-morph worker kept between
 * builds): a change of the spec rebuilds, and what it writes is byte for byte what a cold build of
 * the same spec writes; a broken spec prints its findings and the watcher keeps going, and the fix
 * brings back the first build's bytes. Every step waits on the line the watcher prints, never
 * on a timer. (How fast a rebuild is lives in bench/build.mjs, not here.)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalText, cliPath, removeTempDirs, runCli, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** Every file under `dir`, relative path → bytes. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'latin1'));
    }
  };
  walk(dir);
  return files;
}

/** A cold build with the compiled CLI: the same file name and layout in another folder, so banners match too. */
async function coldBuild(folder: string, text: string): Promise<Map<string, string>> {
  mkdirSync(folder);
  writeFileSync(join(folder, 'protocol.schema.json'), text);
  expect((await runCli(['build', '--quiet', '--spec', 'protocol.schema.json', '--out', 'generated'], { cwd: folder })).code).toBe(0);
  return snapshot(join(folder, 'generated'));
}

/** The watcher's output, line by line, with a way to wait for the next line that matches. */
function lines(child: ChildProcessWithoutNullStreams) {
  const seen: string[] = [];
  let waiting: { re: RegExp; from: number; resolve: (line: string) => void }[] = [];
  const check = (): void => {
    waiting = waiting.filter((w) => {
      const hit = seen.slice(w.from).find((l) => w.re.test(l));
      if (hit !== undefined) w.resolve(hit);
      return hit === undefined;
    });
  };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      seen.push(...parts);
      check();
    });
  }
  return {
    seen,
    /** The next line from now on that matches `re`. */
    next(re: RegExp, from = seen.length): Promise<string> {
      return new Promise((resolve) => {
        waiting.push({ re, from, resolve });
        check();
      });
    },
  };
}

describe('build --watch', () => {
  it('rebuilds on a change exactly as a cold build would, reports a broken spec and keeps going', async () => {
    const dir = tempDir('contractgen-watch-');
    const spec = join(dir, 'protocol.schema.json');
    writeFileSync(spec, canonicalText);
    const child = spawn(process.execPath, [cliPath, 'build', '--watch', '--spec', 'protocol.schema.json', '--out', 'generated'], { cwd: dir });
    const out = lines(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await out.next(/^contractgen: watching protocol\.schema\.json/, 0);
      expect(out.seen.filter((l) => / files in generated\/ /.test(l))).toHaveLength(1);
      const first = snapshot(join(dir, 'generated'));

      // A one-line description change: a rebuild, and the bytes of a cold build of that spec.
      let from = out.seen.length;
      const edited = canonicalText.replace(/"description": "/, '"description": "Edited while watching. ');
      expect(edited).not.toBe(canonicalText);
      writeFileSync(spec, edited);
      expect(await out.next(/ files in generated\/ /, from)).toMatch(/written, .* in \d+ ms$/);
      const watched = snapshot(join(dir, 'generated'));
      expect(watched).toEqual(await coldBuild(join(dir, 'cold-1'), edited));

      // A change of what is validated: the compiled schemas are not reused, and it shows.
      from = out.seen.length;
      const stricter = edited.replace(/"maxLength": (\d+)/, (_all, n: string) => `"maxLength": ${Number(n) - 1}`);
      expect(stricter).not.toBe(edited);
      writeFileSync(spec, stricter);
      await out.next(/ files in generated\/ /, from);
      const validators = snapshot(join(dir, 'generated')).get('validators.ajv.ts');
      expect(snapshot(join(dir, 'generated'))).toEqual(await coldBuild(join(dir, 'cold-2'), stricter));
      expect(validators).not.toBe(watched.get('validators.ajv.ts'));
      from = out.seen.length;
      writeFileSync(spec, edited);
      await out.next(/ files in generated\/ /, from);
      expect(snapshot(join(dir, 'generated'))).toEqual(watched);

      // A broken spec: findings on stderr, nothing written, and the watcher stays.
      from = out.seen.length;
      writeFileSync(spec, '{ "title": ');
      await out.next(/nothing was written; watching for the next change$/, from);
      expect(out.seen.slice(from).join('\n')).toMatch(/protocol\.schema\.json:1:\d+/);
      expect(snapshot(join(dir, 'generated'))).toEqual(watched);

      // Fixed again: back to the bytes of the first build.
      from = out.seen.length;
      writeFileSync(spec, canonicalText);
      await out.next(/ files in generated\/ /, from);
      expect(snapshot(join(dir, 'generated'))).toEqual(first);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
