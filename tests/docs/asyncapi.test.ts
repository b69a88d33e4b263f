/**
 * generated/asyncapi.json: parsed and validated by @asyncapi/parser (the AsyncAPI initiative's
 * own parser: schema validation plus its Spectral ruleset) with zero errors; warnings are
 * printed. Then its content: a channel per transport, send/receive operations, every message
 * with its payload schema, refs under components, no contractgen x- keywords left in schemas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedDir, canonicalSpec } from '../helpers.js';

const text = readFileSync(join(generatedDir, 'asyncapi.json'), 'utf8');
const doc = JSON.parse(text);
const spec = canonicalSpec();
const messages = Object.entries(spec.$defs as Record<string, { 'x-message'?: { type: string; direction: string; role: string } }>).filter(([, d]) => d['x-message']);

let diagnostics: { severity: number; code: string | number; message: string; path: (string | number)[] }[] = [];
let parsed: unknown;

beforeAll(async () => {
  const result = await new Parser().parse(text);
  diagnostics = result.diagnostics as typeof diagnostics;
  parsed = result.document;
}, 60_000);

describe('asyncapi.json', () => {
  it('parses with @asyncapi/parser with zero errors (warnings are printed)', () => {
    const errors = diagnostics.filter((d) => d.severity === 0);
    for (const d of diagnostics.filter((x) => x.severity !== 0)) console.log(`asyncapi ${['error', 'warning', 'info', 'hint'][d.severity]} ${d.code}: ${d.message} at /${d.path.join('/')}`);
    expect(errors.map((d) => `${d.code}: ${d.message} at /${d.path.join('/')}`)).toEqual([]);
    expect(parsed).toBeDefined();
  });

  it('is AsyncAPI 3.0.0 with a channel per transport and one for POSTed client frames', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const c = spec['x-contract'];
    expect(doc.channels.websocket.address).toBe(c.transports.websocket.path);
    expect(doc.channels.sse.address).toBe(c.transports.sse.path);
    expect(doc.channels.poll.address).toBe(c.transports.poll.path);
    expect(doc.channels.messages.address).toBe(c.transports.sse.messagesPath);
    expect(Object.keys(doc.servers).sort()).toEqual(['http', 'websocket']);
  });

  it('has send operations for server frames and receive operations for client frames, per channel', () => {
    const ops = doc.operations as Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[] }>;
    const byChannel = (ch: string, action: string) => Object.values(ops).filter((o) => o.channel.$ref === `#/channels/${ch}` && o.action === action);
    const server = messages.filter(([, d]) => d['x-message']!.direction === 'server-to-client').map(([n]) => n).sort();
    const client = messages.filter(([, d]) => d['x-message']!.direction === 'client-to-server').map(([n]) => n).sort();
    const names = (o: { messages: { $ref: string }[] }) => o.messages.map((m) => m.$ref.split('/').pop()).sort();
    expect(names(byChannel('websocket', 'send')[0]!)).toEqual(server);
    expect(names(byChannel('websocket', 'receive')[0]!)).toEqual(client);
    expect(names(byChannel('sse', 'send')[0]!)).toEqual(server);
    expect(names(byChannel('poll', 'send')[0]!)).toEqual(server);
    // protocol.resume is sent on connect, never POSTed.
    expect(names(byChannel('messages', 'receive')[0]!)).toEqual(client.filter((n) => n !== 'ProtocolResume'));
  });

  it('has every message with its payload schema, examples and data/control role', () => {
    expect(Object.keys(doc.components.messages).sort()).toEqual(messages.map(([n]) => n).sort());
    for (const [name, def] of messages) {
      const m = doc.components.messages[name];
      expect(m.name).toBe(def['x-message']!.type);
      expect(m.payload).toEqual({ $ref: `#/components/schemas/${name}` });
      expect(m['x-role']).toBe(def['x-message']!.role);
      expect(m['x-sequenced']).toBe(def['x-message']!.direction === 'server-to-client' && def['x-message']!.role === 'data');
      expect(m.examples.length).toBeGreaterThan(0);
    }
  });

  it('moves every referenced schema under components.schemas and keeps no contractgen keyword', () => {
    expect(text).not.toContain('#/$defs/');
    expect(text).not.toContain('"x-message"');
    expect(text).not.toContain('"x-contract"');
    for (const m of text.matchAll(/"\$ref": "#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas[m[1]!], m[1]).toBeDefined();
  });

  it('carries the WebSocket close codes of wire.md on the websocket channel', () => {
    const codes = doc.channels.websocket['x-close-codes'] as { code: number; name: string; statement: string }[];
    expect(codes.map((c) => `${c.code} ${c.name}`)).toEqual(['1001 going_away', '1009 too_big', '1011 internal_error', '1013 try_again_later', '4000 protocol_error', '4001 superseded', '4002 session_expired', '4003 resume_failed', '4004 unsupported_version', '4005 slow_consumer', '4006 resume_timeout', '4401 unauthorized', '4403 forbidden']);
    for (const c of codes) expect(c.statement).toMatch(/^[A-Z]\d\.\d+$/);
  });

  it('carries the protocol semantics as x-protocol', () => {
    const c = spec['x-contract'];
    expect(doc['x-protocol']).toMatchObject({
      protocolVersions: c.protocolVersions,
      replayWindow: c.replayWindow,
      session: { ttlMs: c.session.ttlMs },
      heartbeatMs: c.heartbeatMs,
      maxFrameBytes: c.maxFrameBytes,
    });
  });
});
