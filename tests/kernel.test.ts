/**
 * The shipped protocol kernel (spec/kernel/1.schema.json): taking definitions by $ref, what later
 * stages see, where findings about taken definitions point (the shipped file), the extension
 * points, the load findings, and the drift check that holds a spelled-out copy to the runtime.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../generator/checker.js';
import { kernelRef, shippedKernel } from '../generator/kernel.js';
import { loadText } from '../generator/loader.js';
import { buildModel } from '../generator/model.js';
import { starterContract } from '../generator/starter.js';
import { canonicalSpec, positionAt, repoRoot, serialize } from './helpers.js';

const KERNEL_FILE = join(repoRoot, 'spec', 'kernel', '1.schema.json');
const kernelText = readFileSync(KERNEL_FILE, 'utf8');
const kernelLabel = relative(process.cwd(), KERNEL_FILE);

/** The starter contract init writes (the short form), as an object to mutate. */
function starter(): any {
  return JSON.parse(starterContract({ name: 'chat', transports: ['websocket', 'sse', 'poll'], vocabulary: 'https://contractgen.dev/meta/2026-11/contract-vocabulary' }));
}

function lint(spec: unknown) {
  return check(loadText('chat.schema.json', serialize(spec)));
}

describe('taking definitions from the kernel', () => {
  it('the starter is clean and later stages see every kernel definition as its own', () => {
    const spec = loadText('chat.schema.json', serialize(starter()));
    expect(check(spec)).toEqual([]);
    expect(spec.kernel).toMatchObject({ id: 'https://contractgen.dev/kernel/1', version: '1.2', file: kernelLabel });
    const model = buildModel(spec, 'spec/chat.schema.json');
    expect(model.messages.filter((m) => m.kernel).map((m) => m.type)).toEqual(['protocol.ack', 'protocol.error', 'protocol.heartbeat', 'protocol.hello', 'protocol.received', 'protocol.resume', 'protocol.resume_failed', 'protocol.resumed']);
    for (const name of ['ClientHeader', 'ControlHeader', 'DataHeader', 'SessionId', 'ResumeToken', 'Seq', 'Cursor', 'HelloApp']) expect(Object.keys(model.defs)).toContain(name);
    // No reference leaves the document any more: every kernel $ref became #/$defs/…
    expect(JSON.stringify(model.defs)).not.toContain('contractgen.dev/kernel');
    expect(JSON.stringify(model.defs)).not.toContain('$dynamicRef');
    expect(model.defs.ChatSend!.properties).toMatchObject({ header: { $ref: '#/$defs/ClientHeader' } });
  });

  it('binds the kernel parameters to the contract: ProtocolVersion enumerates protocolVersions, the hello example shows the contract\'s numbers', () => {
    const s = starter();
    s['x-contract'].protocolVersions = ['1.0', '2.3'];
    s['x-contract'].heartbeatMs = 30000;
    delete s['x-contract'].transports.poll;
    const spec = loadText('chat.schema.json', serialize(s));
    expect(check(spec)).toEqual([]);
    const defs = spec.json.$defs as any;
    expect(defs.ProtocolVersion.enum).toEqual(['1.0', '2.3']);
    expect(defs.ProtocolHello.examples[0].payload).toMatchObject({ protocol_version: '2.3', heartbeat_ms: 30000, transports: ['websocket', 'sse'] });
  });

  it('a finding about a taken definition names the shipped file, its line and column, and its pointer there', () => {
    const s = starter();
    s['x-contract'].sequencing.origin = 0; // the kernel's Seq starts at 1
    const findings = lint(s);
    const f = findings.find((x) => x.code === 'data-message-requires-seq')!;
    expect(f).toBeDefined();
    expect(f.file).toBe(kernelLabel);
    expect(f.pointer).toBe('/$defs/Seq');
    expect({ line: f.line, column: f.column }).toEqual(positionAt(kernelText, kernelText.indexOf('"Seq": {')));
  });

  it('keywords beside the $ref replace the kernel\'s and are located in the spec', () => {
    const s = starter();
    s.$defs.ProtocolHello = { $ref: kernelRef('ProtocolHello'), description: 'Our hello.' };
    const spec = loadText('chat.schema.json', serialize(s));
    expect(check(spec)).toEqual([]);
    expect(buildModel(spec, 'x').messages.find((m) => m.type === 'protocol.hello')!.description).toBe('Our hello.');
    expect(spec.locate('/$defs/ProtocolHello/description')!.file).toBeUndefined();
    expect(spec.locate('/$defs/ProtocolHello/properties')!.file).toBe(kernelLabel);
  });

  it('HelloApp is an extension point: the spec\'s own definition with $dynamicAnchor extends the hello', () => {
    const s = starter();
    s.$defs.HelloApp = { $dynamicAnchor: 'HelloApp', type: 'object', additionalProperties: false, properties: { region: { type: 'string' } } };
    const spec = loadText('chat.schema.json', serialize(s));
    expect(check(spec)).toEqual([]);
    const defs = spec.json.$defs as any;
    expect(defs.ProtocolHello.properties.payload.properties.app).toEqual({ $ref: '#/$defs/HelloApp' });
    expect(defs.HelloApp.properties.region).toEqual({ type: 'string' });
  });

  it.each([
    ['an unknown definition', (s: any) => (s.$defs.ProtocolHello.$ref = 'https://contractgen.dev/kernel/1#/$defs/ProtocolHelo'), 'kernel-definition', '/$defs/ProtocolHello/$ref', 'did you mean "https://contractgen.dev/kernel/1#/$defs/ProtocolHello"?'],
    ['a kernel this contractgen does not ship', (s: any) => (s.$defs.ProtocolAck.$ref = 'https://contractgen.dev/kernel/9#/$defs/ProtocolAck'), 'kernel-version', '/$defs/ProtocolAck/$ref', 'https://contractgen.dev/kernel/1#/$defs/'],
    ['a malformed kernel reference', (s: any) => (s.$defs.ProtocolAck.$ref = 'https://contractgen.dev/kernel/1/ProtocolAck'), 'kernel-ref', '/$defs/ProtocolAck/$ref', 'https://contractgen.dev/kernel/1#/$defs/ProtocolHello'],
    ['a kernel definition under another name', (s: any) => (s.$defs.Ack = s.$defs.ProtocolAck), 'kernel-name', '/$defs/Ack/$ref', 'name the $defs entry "ProtocolAck"'],
    ['a spec name a taken definition needs', (s: any) => (s.$defs.SessionId = { type: 'string' }), 'kernel-name-taken', '/$defs/SessionId', '{ "$ref": "https://contractgen.dev/kernel/1#/$defs/SessionId" }'],
  ])('%s is a finding with the fix', (_name, mutate, code, pointer, hint) => {
    const s = starter();
    mutate(s);
    const f = lint(s).find((x) => x.code === code);
    expect(f, JSON.stringify(lint(s), null, 1)).toMatchObject({ severity: 'error', pointer, file: 'chat.schema.json' });
    expect(f!.hint).toContain(hint);
  });
});

describe('a spelled-out kernel cannot drift from what the runtime builds (kernel-frames-accepted)', () => {
  it('the canonical spec spells the kernel out and matches it', () => {
    expect(lint(canonicalSpec())).toEqual([]);
  });

  it('a SessionId pattern the runtime\'s ids do not match', () => {
    const s = canonicalSpec();
    s.$defs.SessionId.pattern = '^[A-Za-z0-9_-]{30,128}$';
    s.$defs.ProtocolHello.examples[0].header.session_id = s.$defs.ProtocolHello.examples[0].payload.session_id = 'q3Jt0Yz8uVbK2mXw5LcP9aq3Jt0Yz8uV';
    const hits = lint(s).filter((f) => f.code === 'kernel-frames-accepted');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]!.message).toMatch(/as the (server runtime|generated client) sends it .* does not pass this schema/);
    expect(hits[0]!.hint).toContain('take the definition from the kernel');
  });

  it('a hello that requires a field the runtime never sends', () => {
    const s = canonicalSpec();
    const payload = s.$defs.ProtocolHello.properties.payload;
    payload.properties.region = { type: 'string' };
    payload.required.push('region');
    s.$defs.ProtocolHello.examples[0].payload.region = 'eu';
    const hit = lint(s).find((f) => f.code === 'kernel-frames-accepted');
    expect(hit).toMatchObject({ pointer: '/$defs/ProtocolHello/properties/payload/properties/region' });
    expect(hit!.message).toContain('protocol.hello as the server runtime sends it (protocol version 1.0)');
  });

  it('one defect gives one finding: a missing error code is error-codes, not also the catch-all', () => {
    const s = canonicalSpec();
    const code = s.$defs.ProtocolError.properties.payload.properties.code;
    code.enum = code.enum.filter((c: string) => c !== 'superseded');
    expect(lint(s).map((f) => f.code)).toEqual(['error-codes']);
  });
});

describe('the shipped kernel is what the runtime implements', () => {
  /** The members of a string-literal union type in runtime/frames.ts. */
  function union(name: string): string[] {
    const text = readFileSync(join(repoRoot, 'runtime', 'frames.ts'), 'utf8');
    const m = new RegExp(`export type ${name} =([^;]+);`).exec(text);
    if (!m) throw new Error(`runtime/frames.ts has no type ${name}`);
    return [...m[1]!.matchAll(/'([a-z_]+)'/g)].map((x) => x[1]!).sort();
  }
  const kernel = shippedKernel(1)!;
  const payload = (def: string) => (kernel.defs[def] as any).properties.payload.properties;

  it('error codes and resume failure reasons are exactly the runtime\'s', () => {
    expect([...payload('ProtocolError').code.enum].sort()).toEqual(union('ErrorCode'));
    expect([...payload('ProtocolResumeFailed').reason.enum].sort()).toEqual(union('ResumeFailure'));
  });

  it('its $id carries the major version and x-kernel.version is major.minor', () => {
    expect(kernel.id).toBe('https://contractgen.dev/kernel/1');
    expect((kernel.doc.json as any).$id).toBe(kernel.id);
    expect(kernel.version).toMatch(/^1\.\d+$/);
  });
});
