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
async function coldBuild(folder: string, text: string, name = 'protocol.schema.json'): Promise<Map<string, string>> {
  mkdirSync(folder);
  writeFileSync(join(folder, name), text);
  expect((await runCli(['build', '--quiet', '--spec', name, '--out', 'generated'], { cwd: folder })).code).toBe(0);
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

describe('build --watch with a settings file', () => {
  it('reads contractgen.config.json again on change: another spec, another target, wrong settings reported and the watch goes on', async () => {
    const dir = tempDir('contractgen-watch-config-');
    writeFileSync(join(dir, 'a.schema.json'), canonicalText);
    const other = canonicalText.replace(/"description": "/, '"description": "The other spec. ');
    writeFileSync(join(dir, 'b.schema.json'), other);
    const settings = join(dir, 'contractgen.config.json');
    const write = (value: unknown): void => writeFileSync(settings, JSON.stringify(value, null, 2));
    write({ spec: 'a.schema.json', targets: [{ language: 'typescript', out: 'ts' }] });
    const child = spawn(process.execPath, [cliPath, 'build', '--watch'], { cwd: dir });
    const out = lines(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await out.next(/^contractgen: watching a\.schema\.json/, 0);
      const fromA = snapshot(join(dir, 'ts'));

      // The settings name another spec: built from it, and an edit of it rebuilds too.
      let from = out.seen.length;
      write({ spec: 'b.schema.json', targets: [{ language: 'typescript', out: 'ts' }] });
      await out.next(/ files in ts\/ /, from);
      expect(snapshot(join(dir, 'ts'))).toEqual(await coldBuild(join(dir, 'cold-b'), other, 'b.schema.json'));
      from = out.seen.length;
      const edited = other.replace('The other spec. ', 'The other spec, edited. ');
      writeFileSync(join(dir, 'b.schema.json'), edited);
      await out.next(/ files in ts\/ /, from);
      expect(snapshot(join(dir, 'ts'))).toEqual(await coldBuild(join(dir, 'cold-b2'), edited, 'b.schema.json'));

      // Wrong settings: said with their place, nothing built, the watch goes on.
      from = out.seen.length;
      write({ spec: 'a.schema.json', targets: [{ language: 'cobol', out: 'ts' }] });
      await out.next(/the settings are wrong; nothing was built; watching for the next change$/, from);
      expect(out.seen.slice(from).join('\n')).toMatch(/contractgen\.config\.json:\d+:\d+: \/targets\/0\/language must be one of typescript, python/);
      expect(out.seen.slice(from).join('\n')).not.toMatch(/internal error/);

      // Fixed, with a second target: both folders, the first one back to spec a's bytes.
      from = out.seen.length;
      write({ spec: 'a.schema.json', targets: [{ language: 'typescript', out: 'ts' }, { language: 'python', out: 'py' }] });
      await out.next(/ files in py\/ /, from);
      expect(snapshot(join(dir, 'ts'))).toEqual(fromA);
      expect(snapshot(join(dir, 'py')).size).toBeGreaterThan(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
