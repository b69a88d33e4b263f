/**
 * A contract that takes the protocol kernel by $ref (the starter `contractgen init` writes) and
 * extends the hello with application fields through the kernel's HelloApp extension point, built
 * by the compiled CLI: the typed `helloApp` option compiles (strictly), a wrong one does not, and
 * the fields reach a client in the hello over a real WebSocket.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { starterContract } from '../../generator/starter.js';
import { buildWithCli, repoRoot, typecheckFolder } from '../helpers.js';
import { cleanup, connectWs, serve, target, type Mountable, type Target } from './helpers.js';

const outRel = 'tests/.generated/kernel-chat';
const outDir = join(repoRoot, outRel);
const specFile = join(repoRoot, 'tests/.generated/kernel-chat.schema.json');

const USAGE = `import { createChatServer } from './server.js';

export const ok = createChatServer({ handlers: { chatSend() {} }, helloApp: (session) => ({ region: 'eu', motd: \`welcome \${session.id}\` }) });
// @ts-expect-error region is required
export const missing = createChatServer({ handlers: { chatSend() {} }, helloApp: () => ({ motd: 'hi' }) });
// @ts-expect-error region is a string
export const wrong = createChatServer({ handlers: { chatSend() {} }, helloApp: () => ({ region: 1 }) });
`;

interface ChatModule {
  createChatServer(options: { handlers: { chatSend(): void }; helloApp?: (session: { id: string }) => object }): Mountable;
}

let mod: ChatModule;
let contract: Target['contract'];

beforeAll(async () => {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const spec = JSON.parse(starterContract({ name: 'chat', transports: ['websocket'], vocabulary: 'https://contractgen.dev/meta/2026-11/contract-vocabulary' }));
  spec.$defs.HelloApp = {
    $dynamicAnchor: 'HelloApp',
    description: 'What this deployment tells every client first.',
    type: 'object',
    required: ['region'],
    additionalProperties: false,
    properties: { region: { type: 'string' }, motd: { type: 'string' } },
  };
  writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  const built = await buildWithCli(specFile, outRel, { 'usage.ts': USAGE });
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
  mod = (await import(pathToFileURL(join(outDir, 'server.ts')).href)) as ChatModule;
  contract = ((await import(pathToFileURL(join(outDir, 'contract.ts')).href)) as { contract: Target['contract'] }).contract;
}, 60_000);

afterEach(cleanup);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('a contract on the shipped kernel with an extended hello', () => {
  it('the helloApp option is typed by the spec\'s HelloApp (strict; misuse is a compile error)', async () => {
    const r = await typecheckFolder(outDir);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('sends the application fields in every hello, under payload.app', async () => {
    const app = mod.createChatServer({ handlers: { chatSend() {} }, helloApp: (session) => ({ region: 'eu', motd: `welcome ${session.id}` }) });
    const { port } = await serve(app);
    const ch = await connectWs(target(port, contract), '');
    const hello = await ch.next('protocol.hello');
    expect(hello.payload.app).toEqual({ region: 'eu', motd: `welcome ${hello.payload.session_id as string}` });
  });
});
