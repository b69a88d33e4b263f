/**
 * Helpers of the Redis suites: a redis-server of the file's own (started before its tests,
 * stopped after them), and Redis session stores on it that `cleanup()` closes.
 */
import { afterAll, beforeAll } from 'vitest';
import type { ContractDescriptor } from '../../runtime/contract.js';
import { createRedisStore, type RedisSessionStore } from '../../runtime/server/redis-store.js';
import { onCleanup } from '../support/lifecycle.js';
import { connectRedis, startRedisServer, type RedisServer } from './redis-server.js';

/** Starts a redis-server for this test file; the port is known once the file's tests run. */
export function useRedisServer(): { readonly port: number } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get port() {
      if (!server) throw new Error('the redis-server is not started yet (use it inside a test)');
      return server.port;
    },
  };
}

/** A Redis store of `contract` under `prefix` (two connections), closed in cleanup. */
export async function redisStoreOn(port: number, contract: ContractDescriptor, prefix: string): Promise<RedisSessionStore> {
  const store = createRedisStore({ redis: await connectRedis(port), subscriber: await connectRedis(port), contract, prefix });
  onCleanup(() => store.close());
  return store;
}
