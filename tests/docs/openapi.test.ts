/**
 * generated/openapi.json: valid OpenAPI 3.1 by @readme/openapi-parser (JSON Schema validation of
 * the document plus its semantic checks: path parameters declared, operation ids unique, every
 * $ref resolving), types generated from it by openapi-typescript type-check with tsc (strict),
 * and the endpoints say what the runtime does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalSpec, generatedDir, removeTempDirs, repoRoot, runNode, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

const text = readFileSync(join(generatedDir, 'openapi.json'), 'utf8');
const doc = JSON.parse(text);
const c = canonicalSpec()['x-contract'];
const history = c.history[0];

type Operation = { parameters: { name: string; in: string; required?: boolean; schema: Record<string, unknown> }[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }>; security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> } };
const op = (path: string, method: string): Operation => doc.paths[path][method];
const param = (o: Operation, name: string) => o.parameters.find((p) => p.name === name)!;

describe('openapi.json', () => {
  it('is valid OpenAPI 3.1 for @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(doc));
    for (const w of result.warnings ?? []) console.log(`openapi warning: ${JSON.stringify(w)}`);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('the validator is not a rubber stamp: an undeclared path parameter or a dangling $ref is refused', async () => {
    const noPathParam = structuredClone(doc);
    noPathParam.paths[history.path].get.parameters = noPathParam.paths[history.path].get.parameters.filter((p: { in: string }) => p.in !== 'path');
    expect((await validate(noPathParam)).valid).toBe(false);
    const dangling = structuredClone(doc);
    dangling.paths[history.path].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    expect((await validate(dangling)).valid).toBe(false);
  });

  it('the history endpoint: path and query parameters from the spec, maxLimit as the maximum of limit, 200/400/404', () => {
    const get = op(history.path, 'get');
    expect(param(get, 'conversationId')).toMatchObject({ in: 'path', required: true, schema: { $ref: '#/components/schemas/ConversationId' } });
    expect(param(get, 'sinceSeq')).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 0 } });
    expect(param(get, 'beforeSeq')).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1 } });
    expect(param(get, 'limit')).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: history.maxLimit } });
    expect(get.responses['200']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/ConversationHistoryResponse' });
    expect(get.responses['400']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/HistoryError' });
    expect(get.responses['404']).toBeDefined();
  });

  it('the SSE stream describes its events as an x-itemSchema (OpenAPI 3.2 itemSchema; the validator refuses 3.2)', async () => {
    const media = op('/events', 'get').responses['200']!.content!['text/event-stream'] as unknown as { 'x-itemSchema': { properties: Record<string, Record<string, unknown>> } };
    const item = media['x-itemSchema'];
    expect(Object.keys(item.properties).sort()).toEqual(['data', 'id']);
    expect(item.properties.data).toEqual({ type: 'string', contentMediaType: 'application/json', contentSchema: { $ref: '#/components/schemas/ServerMessage' } });
    const as32 = { ...structuredClone(doc), openapi: '3.2.0' };
    await expect(validate(as32)).rejects.toThrow(/OpenAPI 3\.2 is currently unsupported/);
  });

  it('the SSE endpoint: text/event-stream, session_id/resume_token/last_seen_seq/versions and Last-Event-ID', () => {
    const get = op(c.transports.sse.path, 'get');
    expect(Object.keys(get.responses['200']!.content!)).toEqual(['text/event-stream']);
    for (const name of ['session_id', 'resume_token', 'last_seen_seq', 'versions']) expect(param(get, name).in).toBe('query');
    expect(param(get, 'Last-Event-ID').in).toBe('header');
  });

  it('the poll endpoint: cursor, bearer security, { frames } and 400/401/404/410', () => {
    const get = op(c.transports.poll.path, 'get');
    expect(param(get, 'cursor').in).toBe('query');
    expect(get.security).toContainEqual({ resumeToken: [] });
    expect(doc.components.securitySchemes.resumeToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(get.responses['200']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Frames' });
    for (const status of ['400', '401', '404', '410']) expect(get.responses[status], status).toBeDefined();
  });

  it('POST messages: one ClientMessage or an array of them, 202/400/401/404/413', () => {
    const post = op(c.transports.sse.messagesPath, 'post');
    expect(post.requestBody!.content['application/json']!.schema).toEqual({ oneOf: [{ $ref: '#/components/schemas/ClientMessage' }, { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/ClientMessage' } }] });
    for (const status of ['202', '400', '401', '404', '413']) expect(post.responses[status], status).toBeDefined();
  });

  it('keeps no contractgen keyword and no #/$defs reference', () => {
    expect(text).not.toContain('#/$defs/');
    expect(text).not.toContain('"x-message"');
  });

  it('openapi-typescript turns it into types that type-check with tsc (strict) and mean what the contract says', async () => {
    const dir = tempDir('contractgen-openapi-');
    writeFileSync(join(dir, 'openapi.d.ts'), astToString(await openapiTS(structuredClone(doc))));
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import type { components, paths } from './openapi.js';",
        `type History = paths[${JSON.stringify(history.path)}]['get'];`,
        "const query: NonNullable<History['parameters']['query']> = { sinceSeq: 0, limit: 50 };",
        "const path: History['parameters']['path'] = { conversationId: 'c-42' };",
        "type Page = History['responses'][200]['content']['application/json'];",
        "const page: Page = { chunks: [{ seq: 1, role: 'user', chunk: { kind: 'text', text: 'hi' } }], latestSeq: 1 };",
        "type Frames = components['schemas']['Frames'];",
        "const frames: Frames = { frames: [{ type: 'protocol.heartbeat', header: {}, payload: { latest_seq: 3 } }] };",
        "type Posted = NonNullable<paths['/messages']['post']['requestBody']>['content']['application/json'];",
        "const posted: Posted = [{ type: 'chat.send', header: { session_id: 'q3Jt0Yz8uVbK2mXw5LcP9a' }, payload: { conversation_id: 'c-42', text: 'hi' } }];",
        '// @ts-expect-error a client frame without header.session_id is not a ClientMessage (S5)',
        "const bad: Posted = { type: 'chat.send', header: {}, payload: { conversation_id: 'c-42', text: 'hi' } };",
        'export { query, path, page, frames, posted, bad };',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: [], skipLibCheck: false }, files: ['openapi.d.ts', 'use.ts'] }));
    const r = await runNode([join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});
