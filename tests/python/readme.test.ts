/**
 * The README's Python quick start runs as printed: the FastAPI app is written to a file, served by
 * uvicorn, and the generated TypeScript client opens a session on it and gets the echo; the app
 * also type-checks under mypy --strict.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, startClient, waitFor } from '../client/helpers.js';
import { removeTempDirs, repoRoot, tempDir } from '../helpers.js';
import { startPythonServer, venvPython } from './helpers.js';

afterAll(async () => {
  await cleanup();
  removeTempDirs();
});

function quickStart(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Python quick start'));
  const block = /```python\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no python block under "Python quick start"');
  return block[1]!;
}

describe('README Python quick start', () => {
  it('is at most 15 lines, type-checks, serves, and answers the generated TypeScript client', async () => {
    const code = quickStart();
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
    const dir = tempDir('contractgen-quickstart-');
    writeFileSync(join(dir, 'main.py'), code);
    const mypy = spawnSync(venvPython, ['-m', 'mypy', '--strict', '--no-incremental', '--cache-dir=/dev/null', join(dir, 'main.py')], { encoding: 'utf8', env: { ...process.env, MYPYPATH: join(repoRoot, 'generated-py') } });
    expect(mypy.status, mypy.stdout + mypy.stderr).toBe(0);
    const server = await startPythonServer('main:app', { PYTHONPATH: dir });
    try {
      const client = startClient(server.url, { transport: 'websocket' });
      const texts: string[] = [];
      client.on.agentEvent((m) => void texts.push(m.payload.text ?? ''));
      await waitFor(() => client.state === 'open', 'the session', 10_000);
      const reply = await client.send.chatSend({ conversation_id: 'c-1', text: 'hello' });
      expect([reply.type, reply.header.cseq, reply.payload.message_id]).toEqual(['chat.accepted', 1, 'm-1']);
      await waitFor(() => texts.length === 1, 'the echo', 10_000);
      expect(texts).toEqual(['echo: hello']);
      client.close();
    } finally {
      await server.close();
    }
  }, 60_000);
});
