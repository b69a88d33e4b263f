/**
 * What every suite with servers and clients needs: a cleanup registry (call `cleanup()` in
 * afterEach; the last thing registered closes first) and a wait on a condition that fails with
 * what it was waiting for.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

const cleanups: (() => unknown)[] = [];

/** Registers something to close in `cleanup()` (last registered, first closed). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/**
 * Takes what was registered so far out of the registry, for a suite whose clients outlive one
 * test (made in beforeAll, closed in afterAll): `cleanup()` in afterEach leaves them alone.
 */
export function keepAcrossTests(): () => Promise<void> {
  const kept = cleanups.splice(0);
  return () => closeAll(kept);
}

/** Closes everything registered since the last call. */
export function cleanup(): Promise<void> {
  return closeAll(cleanups);
}

async function closeAll(list: (() => unknown)[]): Promise<void> {
  while (list.length > 0) {
    const fn = list.pop()!;
    try {
      await fn();
    } catch {
      /* already closed */
    }
  }
}

/** Polls `condition` every 10 ms until it holds; fails with `what` (and `detail()`) after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(10);
  }
}
