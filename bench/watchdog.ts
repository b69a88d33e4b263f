/** What the Redis benches (bench/redis.ts, bench/redis-poll.ts) share to end a stuck run. */
import type { ServerProcess } from '../tests/redis/processes.js';
import type { RedisServer } from '../tests/redis/redis-server.js';

/**
 * Ends the bench after `ms` if it is still running (a stuck server process or redis-server must
 * not hold a terminal or CI forever): kills the server processes started so far, stops
 * redis-server if it started, and exits with 2. Returns the function that disarms it.
 */
export function startWatchdog(name: string, ms: number, children: readonly ServerProcess[], redis: () => RedisServer | undefined): () => void {
  const timer = setTimeout(() => {
    console.error(`${name}: still running after ${ms / 1000} s; stopping`);
    for (const c of children) c.child.kill('SIGKILL');
    void Promise.resolve(redis()?.close()).finally(() => process.exit(2));
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
