/**
 * A Fastify 5 service with the generated server registered as a plugin under `/rt`, in its own
 * process (forked with tsx): reports `{ port }` over IPC, then lets the IPC channel go, so the
 * process ends only when everything it serves is closed. On SIGTERM it calls `fastify.close()`,
 * as a service does — and must then exit by itself.
 */
import Fastify from 'fastify';
import { createAgentUiServer } from '../../../generated/server.js';
import { accepted } from '../../support/accepted.js';

const rt = createAgentUiServer({ handlers: { chatSend: accepted, uiAction() {} } });
const app = Fastify();
app.get('/health', async () => ({ ok: true }));
await app.register(rt.fastify, { prefix: '/rt' });
await app.listen({ port: 0, host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close());
const address = app.server.address();
process.send!({ port: typeof address === 'object' && address ? address.port : 0 }, () => process.disconnect());
