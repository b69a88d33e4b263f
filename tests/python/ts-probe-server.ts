/**
 * The TypeScript peer of the Python probe runs: the generated agent-ui server (generated/server.ts)
 * in conformance mode with the seeded history log, on the memory store or on Redis, with the
 * probe's test timers — in its own process, like the Python server, so both are probed alike.
 * Forked with tsx; prints `LISTENING <port>` once it accepts connections.
 *
 * Environment: REDIS_PORT (Redis store; else memory), STORE_PREFIX, TIMERS=1 (FAST_TIMERS), USERS=1
 * (only `Authorization: Bearer <name>` gets in, as principal <name>: A1).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contract } from '../../generated/contract.js';
import { createMemoryHistoryStore } from '../../generated/runtime/server/history.js';
import { withTimers } from '../../generated/runtime/server/contract-server.js';
import { createRedisStore } from '../../generated/runtime/server/redis-store.js';
import { createAgentUiServer } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import { bearerUser, FAST_TIMERS } from '../probe/helpers.js';
import { connectRedis } from '../redis/redis-server.js';
import { accepted } from '../support/accepted.js';

const timers = process.env.TIMERS === '1' ? FAST_TIMERS : undefined;
const redisPort = Number(process.env.REDIS_PORT ?? 0);
// The store keeps the TTL in Redis itself: it gets the timers too (the server's option reaches only the stores it makes).
const store = redisPort
  ? createRedisStore({ redis: await connectRedis(redisPort), subscriber: await connectRedis(redisPort), contract: withTimers(contract, timers), prefix: process.env.STORE_PREFIX ?? 'ts-probe:' })
  : undefined;
const history = createMemoryHistoryStore<HistoryChunk>();
for (const log of contract.conformance?.history ?? []) {
  for (let i = 0; i < log.minItems; i++) history.append(log.params.conversationId!, { role: i % 2 ? 'assistant' : 'user', turn_id: `t-${i >> 1}`, chunk: { kind: 'text', text: `item ${i + 1}` } });
}
const app = createAgentUiServer({
  store,
  handlers: { chatSend: accepted, uiAction() {} },
  history: { conversationHistory: history },
  conformance: true,
  ...(timers ? { timers } : {}),
  ...(process.env.USERS === '1' ? { authenticate: bearerUser } : {}),
});
const server = http.createServer();
app.attach(server);
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${(server.address() as AddressInfo).port}`));
const stop = (): void => {
  app.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
