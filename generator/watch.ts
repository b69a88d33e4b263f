/**
 * The loop behind `contractgen build --watch` (api.ts `watch`): build once, then again whenever
 * the spec file changes. One build at a time; changes that arrive during a build are gathered
 * into one more build after it; an event that leaves the file's text as it was last built (editors
 * and fs.watch report one save several times) builds nothing. A build that throws is reported and
 * the loop goes on.
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
  readonly file: string;
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

export async function watchFile(options: WatchFileOptions): Promise<Watcher> {
  const debounceMs = options.debounceMs ?? 25;
  let built: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let changed = false;
  let loop: Promise<void> | undefined;
  let closed = false;
  let waiters: (() => void)[] = [];

  const buildOnce = async (): Promise<void> => {
    built = readText(options.file);
    try {
      await options.build();
    } catch (error) {
      options.onError(error);
    }
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
      if (readText(options.file) === built) continue;
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

  await buildOnce();
  // The folder, not the file: an editor that saves by writing a new file and renaming it over the
  // old one would leave a watch on the file itself pointing at nothing.
  const name = basename(options.file);
  const fsWatcher: FSWatcher = watchFs(dirname(options.file), (_event, filename) => {
    if (filename === null || filename === name) onChange();
  });
  fsWatcher.on('error', (error) => options.onError(error));

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
      fsWatcher.close();
      await loop;
      await options.onClose();
      settle();
    },
  };
}
