/**
 * The loop behind `contractgen build --watch` (api.ts `watch`): build once, then again whenever
 * a watched file changes (the spec and the settings file). One build at a time; changes that
 * arrive during a build are gathered into one more build after it; an event that leaves every
 * file's text as it was last built (editors and fs.watch report one save several times) builds
 * nothing. A build that throws is reported and the loop goes on. Which files are watched is asked
 * again after each build: a settings change may name another spec.
 */
import { watch as watchFs, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface Watcher {
  /** Resolves once no build is running or waiting (tests and scripts wait on this, not on time). */
  idle(): Promise<void>;
  /** Stops watching, waits for a running build, then releases what the builds kept (the worker). */
  close(): Promise<void>;
}

export interface WatchFileOptions {
  /** The files whose change means a build, asked again after every build. */
  files(): readonly string[];
  build(): Promise<void>;
  onError(error: unknown): void;
  onClose(): Promise<void>;
  /** Quiet time before a change is built, so one save is one build (default 25 ms). */
  readonly debounceMs?: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // gone for a moment (an editor's rename-and-replace save): the build reports it if it stays gone
  }
}

/** What each watched file holds now (undefined: missing). */
function texts(files: readonly string[]): Map<string, string | undefined> {
  return new Map(files.map((f) => [f, readText(f)]));
}

export async function watchFiles(options: WatchFileOptions): Promise<Watcher> {
  const debounceMs = options.debounceMs ?? 25;
  let built = new Map<string, string | undefined>();
  let timer: NodeJS.Timeout | undefined;
  let changed = false;
  let loop: Promise<void> | undefined;
  let closed = false;
  let waiters: (() => void)[] = [];

  const buildOnce = async (): Promise<void> => {
    built = texts(options.files());
    try {
      await options.build();
    } catch (error) {
      options.onError(error);
    }
    // A file the build began to watch (settings that name another spec) is taken as built, so the
    // next event of an unchanged file builds nothing.
    for (const file of options.files()) if (!built.has(file)) built.set(file, readText(file));
    follow();
  };
  const settle = (): void => {
    if (loop !== undefined || timer !== undefined) return;
    const done = waiters;
    waiters = [];
    for (const w of done) w();
  };
  const drain = async (): Promise<void> => {
    while (changed && !closed) {
      changed = false;
      if (options.files().every((f) => built.has(f) && readText(f) === built.get(f))) continue;
      await buildOnce();
    }
    loop = undefined;
    settle();
  };
  const onChange = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      changed = true;
      loop ??= drain();
    }, debounceMs);
  };

  // The folders, not the files: an editor that saves by writing a new file and renaming it over
  // the old one would leave a watch on the file itself pointing at nothing. One watcher per folder,
  // kept while any watched file lives there.
  const folders = new Map<string, { readonly watcher: FSWatcher; names: Set<string> }>();
  function follow(): void {
    if (closed) return;
    const wanted = new Map<string, Set<string>>();
    for (const file of options.files()) {
      const names = wanted.get(dirname(file)) ?? new Set<string>();
      wanted.set(dirname(file), names.add(basename(file)));
    }
    for (const [dir, folder] of folders) {
      if (wanted.has(dir)) continue;
      folder.watcher.close();
      folders.delete(dir);
    }
    for (const [dir, names] of wanted) {
      const known = folders.get(dir);
      if (known) {
        known.names = names;
        continue;
      }
      let watcher: FSWatcher;
      try {
        watcher = watchFs(dir, (_event, filename) => {
          if (filename === null || folders.get(dir)?.names.has(filename)) onChange();
        });
      } catch {
        continue; // a folder that does not exist: the build reports the missing file
      }
      watcher.on('error', (error) => options.onError(error));
      folders.set(dir, { watcher, names });
    }
  }
  await buildOnce();

  return {
    idle: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settle();
      }),
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      for (const folder of folders.values()) folder.watcher.close();
      folders.clear();
      await loop;
      await options.onClose();
      settle();
    },
  };
}
