/**
 * Stage 1b — kernel: the protocol kernel contractgen ships (spec/kernel/<major>.schema.json: the
 * frames and headers of hello, resume, resumed, resume_failed, error, heartbeat and ack) and how
 * a spec takes definitions from it. A spec may spell those definitions out itself, or write
 * `{ "$ref": "https://contractgen.dev/kernel/1#/$defs/ProtocolHello" }`: the URL is the kernel's
 * `$id`, resolved to the shipped file, never fetched. After this stage every later one sees the
 * taken definitions as the spec's own `#/$defs/…`, while `locate` still answers with the shipped
 * file's line, column and pointer.
 *
 * What taking a definition means, rule by rule (`contractgen lint --rules` lists the findings):
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parsePointer, pointerOf, type Finding } from './diagnostics.js';
import { parseSpecText, type LoadedSpec, type Position } from './loader.js';
import { closest } from './naming.js';
import { kernelDir } from './paths.js';
import { isSchemaObject, type Schema } from './schema-walk.js';

export const KERNEL_URL = 'https://contractgen.dev/kernel/';

/** The kernel the runtime of this contractgen implements; `init` writes references to it. */
export const CURRENT_KERNEL = 1;

/** What resolving does, in order; each sentence is a promise the tests hold the resolver to. */
export const KERNEL_RESOLUTION: readonly string[] = [
  'A $ref to https://contractgen.dev/kernel/<major>#/$defs/<Name> takes Name from the kernel shipped in the contractgen package; later stages see it as the spec\'s own #/$defs/<Name>.',
  'A $defs entry { "$ref": "…kernel/1#/$defs/Name" } under the same Name is the kernel definition itself; keywords written beside the $ref (description, examples) replace the kernel\'s.',
  'Kernel definitions that a taken one refers to come along under their kernel names.',
  'A kernel extension point (a definition with $dynamicAnchor: ProtocolVersion, HelloApp) is the spec\'s own definition with that $dynamicAnchor when it has one.',
  'ProtocolVersion taken from the kernel enumerates x-contract.protocolVersions, and the examples of a taken hello and error announce the contract\'s own parameters.',
  'A spec that takes a kernel frame by $ref gets every kernel frame it does not define itself, so a frame a minor version adds (protocol.received, kernel 1.2) comes with the package.',
];

/** Keys whose values are data, not schemas: a "$ref" inside them is text. */
const DATA_KEYS = new Set(['examples', 'enum', 'const', 'default']);

const REF = /^https:\/\/contractgen\.dev\/kernel\/(\d+)#\/\$defs\/([^/]+)$/;

export interface ShippedKernel {
  readonly major: number;
  /** `https://contractgen.dev/kernel/1` */
  readonly id: string;
  /** major.minor, from the file's x-kernel.version. */
  readonly version: string;
  /** The shipped file as the user sees it: relative to the working directory, POSIX separators. */
  readonly label: string;
  readonly doc: LoadedSpec;
  readonly defs: Readonly<Record<string, Schema>>;
}

/** What a spec takes from the kernel (the model and the docs name it). */
export interface KernelUse {
  readonly id: string;
  readonly version: string;
  readonly file: string;
  /** Definitions that came from the kernel, sorted. */
  readonly definitions: readonly string[];
}

/** Kernel majors shipped in this package, ascending. */
export function shippedKernelMajors(): number[] {
  return readdirSync(kernelDir)
    .map((f) => /^(\d+)\.schema\.json$/.exec(f)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

const cache = new Map<number, ShippedKernel>();

/** The shipped kernel of a major version, or undefined when this package does not ship it. */
export function shippedKernel(major: number = CURRENT_KERNEL): ShippedKernel | undefined {
  const hit = cache.get(major);
  if (hit) return hit;
  if (!shippedKernelMajors().includes(major)) return undefined;
  const path = join(kernelDir, `${major}.schema.json`);
  const label = relative(process.cwd(), path).split(sep).join('/');
  const doc = parseSpecText(label, readFileSync(path, 'utf8'));
  const meta = doc.json['x-kernel'];
  const kernel: ShippedKernel = {
    major,
    id: `${KERNEL_URL}${major}`,
    version: isSchemaObject(meta) && typeof meta.version === 'string' ? meta.version : `${major}.0`,
    label,
    doc,
    defs: (isSchemaObject(doc.json.$defs) ? doc.json.$defs : {}) as Record<string, Schema>,
  };
  cache.set(major, kernel);
  return kernel;
}

/** `https://contractgen.dev/kernel/1#/$defs/Name` for the current kernel. */
export function kernelRef(name: string, major: number = CURRENT_KERNEL): string {
  return `${KERNEL_URL}${major}#/$defs/${name}`;
}

type Resolution = { readonly findings: Finding[] } & Partial<Pick<LoadedSpec, 'json' | 'locate' | 'kernel'>>;

interface RefSite {
  readonly pointer: string;
  readonly ref: string;
}

/** Every "$ref" string of the document that names the kernel, with its pointer. */
function kernelRefs(json: unknown): RefSite[] {
  const out: RefSite[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${pointer}/${i}`));
    if (!isSchemaObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(KERNEL_URL)) out.push({ pointer: `${pointer}/$ref`, ref: value });
      else if (!DATA_KEYS.has(key)) walk(value, pointer + pointerOf(key));
    }
  };
  walk(json, '');
  return out;
}

/** A deep copy with every kernel $ref replaced by `#/$defs/Name` (data keys copied as they are). */
function rewriteRefs(node: unknown, rewrite: (ref: string) => string | undefined): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, rewrite));
  if (!isSchemaObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out[key] = rewrite(value) ?? value;
    else out[key] = DATA_KEYS.has(key) ? structuredClone(value) : rewriteRefs(value, rewrite);
  }
  return out;
}

function dynamicAnchors(defs: Readonly<Record<string, unknown>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) if (isSchemaObject(def) && typeof def.$dynamicAnchor === 'string') out.set(def.$dynamicAnchor, name);
  return out;
}

/** Takes what the spec names from the kernel (see KERNEL_RESOLUTION). Specs that name none come back as they are. */
export function resolveKernel(spec: LoadedSpec): Resolution {
  const sites = kernelRefs(spec.json);
  if (sites.length === 0) return { findings: [] };
  const findings: Finding[] = [];
  const finding = (code: string, pointer: string, message: string, hint: string): void => {
    findings.push({ severity: 'error', code, pointer, file: spec.file, ...spec.locate(pointer), message, hint });
  };

  const majors = shippedKernelMajors();
  const parsed = sites.map((s) => ({ ...s, match: REF.exec(s.ref) }));
  const wanted = parsed.find((p) => p.match)?.match?.[1];
  const major = wanted === undefined ? CURRENT_KERNEL : Number(wanted);
  const kernel = shippedKernel(major);
  const names = Object.keys(kernel?.defs ?? {});
  const taken = new Map<string, string>(); // ref → kernel definition name
  for (const p of parsed) {
    if (!p.match) {
      finding('kernel-ref', p.pointer, `"${p.ref}" is not a reference to a kernel definition`, `write "${KERNEL_URL}<major>#/$defs/<Name>", e.g. "${kernelRef('ProtocolHello')}"`);
    } else if (!kernel) {
      finding('kernel-version', p.pointer, `kernel ${p.match[1]} is not shipped with this contractgen (it ships kernel ${majors.join(', ')})`, `reference "${KERNEL_URL}${CURRENT_KERNEL}#/$defs/…", or install the contractgen version that ships kernel ${p.match[1]}`);
    } else if (Number(p.match[1]) !== major) {
      finding('kernel-version', p.pointer, `the spec takes definitions from kernel ${major} and kernel ${p.match[1]}; one spec uses one kernel`, `reference "${KERNEL_URL}${major}#/$defs/…" everywhere`);
    } else if (!Object.hasOwn(kernel.defs, p.match[2]!)) {
      const guess = closest(p.match[2]!, names);
      finding('kernel-definition', p.pointer, `kernel ${major} has no definition "${p.match[2]}"`, guess ? `did you mean "${kernelRef(guess, major)}"?` : `the kernel defines ${names.join(', ')} (${kernel.label})`);
    } else {
      taken.set(p.ref, p.match[2]!);
    }
  }
  if (!kernel || taken.size === 0) return { findings };

  const specDefs: Record<string, unknown> = isSchemaObject(spec.json.$defs) ? spec.json.$defs : {};
  const specAnchors = dynamicAnchors(specDefs);
  const kernelAnchors = dynamicAnchors(kernel.defs);
  /** The definition a kernel `$dynamicRef: "#A"` lands on: the spec's own extension when it has one. */
  const anchorTarget = (anchor: string): string | undefined => specAnchors.get(anchor) ?? kernelAnchors.get(anchor);

  // A $defs entry that is only a reference to the kernel definition of the same name is that definition.
  const aliases = new Map<string, Record<string, unknown>>(); // name → keywords written beside the $ref
  for (const [name, def] of Object.entries(specDefs)) {
    if (!isSchemaObject(def) || typeof def.$ref !== 'string' || !taken.has(def.$ref)) continue;
    const target = taken.get(def.$ref)!;
    if (target !== name) {
      finding('kernel-name', `${pointerOf('$defs', name)}/$ref`, `"${name}" takes the kernel's ${target} under another name`, `name the $defs entry "${target}" (a kernel definition keeps its name, so generated code and docs agree with the kernel)`);
      continue;
    }
    const { $ref: _ref, ...beside } = def;
    aliases.set(name, beside);
  }

  // Everything the taken definitions need, through $ref and $dynamicRef, in kernel order.
  const needed = new Set<string>();
  const need = (name: string): void => {
    if (needed.has(name) || !Object.hasOwn(kernel.defs, name)) return;
    if (Object.hasOwn(specDefs, name) && !aliases.has(name)) return; // the spec's own (an extension, or reported below)
    needed.add(name);
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!isSchemaObject(node)) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')) need(parsePointer(value)[1]!);
        else if (key === '$dynamicRef' && typeof value === 'string' && value.startsWith('#')) {
          const target = anchorTarget(value.slice(1));
          if (target && !specAnchors.has(value.slice(1))) need(target);
        } else if (!DATA_KEYS.has(key)) visit(value);
      }
    };
    visit(kernel.defs[name]);
  };
  for (const name of taken.values()) need(name);
  for (const name of aliases.keys()) need(name);
  // A spec on the kernel's frames gets the ones a minor version added (it names none of them yet).
  const frameType = (d: unknown): string | undefined => (isSchemaObject(d) && isSchemaObject(d['x-message']) && typeof d['x-message'].type === 'string' ? d['x-message'].type : undefined);
  const takesFrames = [...taken.values()].some((name) => frameType(kernel.defs[name]) !== undefined);
  const defined = new Set(Object.values(specDefs).map(frameType));
  if (takesFrames) for (const [name, def] of Object.entries(kernel.defs)) if (frameType(def) !== undefined && !defined.has(frameType(def)) && !Object.hasOwn(specDefs, name)) need(name);

  // A name a taken definition needs that the spec uses for something else, and that is not an extension point.
  const clash = (user: string, dependency: string): void => {
    if (!Object.hasOwn(specDefs, dependency) || aliases.has(dependency) || needed.has(dependency)) return;
    const anchor = kernel.defs[dependency]?.$dynamicAnchor;
    if (typeof anchor === 'string' && specAnchors.get(anchor) === dependency) return;
    finding(
      'kernel-name-taken',
      pointerOf('$defs', dependency),
      `the kernel's ${user} refers to the kernel's ${dependency}, and this spec defines its own ${dependency}`,
      `take ${dependency} from the kernel too ({ "$ref": "${kernelRef(dependency, major)}" }), or spell out ${user} yourself`,
    );
  };
  for (const name of needed) {
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!isSchemaObject(node)) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')) clash(name, parsePointer(value)[1]!);
        else if (!DATA_KEYS.has(key)) visit(value);
      }
    };
    visit(kernel.defs[name]);
  }

  const toLocal = (ref: string): string | undefined => (taken.has(ref) ? `#/$defs/${taken.get(ref)}` : undefined);
  /** A kernel definition as the spec's own: $dynamicRef lands on the spec's extension or the kernel's default. */
  const localize = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(localize);
    if (!isSchemaObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$dynamicRef' && typeof value === 'string' && value.startsWith('#') && anchorTarget(value.slice(1))) out.$ref = `#/$defs/${anchorTarget(value.slice(1))}`;
      else out[key] = DATA_KEYS.has(key) ? structuredClone(value) : localize(value);
    }
    return out;
  };

  const json = rewriteRefs(spec.json, toLocal) as Record<string, unknown>;
  const defs: Record<string, unknown> = { ...(isSchemaObject(json.$defs) ? json.$defs : {}) };
  const origin = new Map<string, ReadonlySet<string> | undefined>(); // name → keys written in the spec (undefined: none)
  for (const name of Object.keys(kernel.defs)) {
    if (!needed.has(name)) continue;
    const beside = aliases.get(name);
    defs[name] = { ...(localize(kernel.defs[name]) as Schema), ...(beside ? (rewriteRefs(beside, toLocal) as Schema) : {}) };
    origin.set(name, beside ? new Set(Object.keys(beside)) : undefined);
  }
  bindParameters(defs, json['x-contract'], needed, specAnchors);
  json.$defs = defs;

  const locate = (pointer: string): Position | undefined => {
    const tokens = parsePointer(pointer);
    if (tokens[0] !== '$defs' || tokens[1] === undefined || !origin.has(tokens[1])) return spec.locate(pointer);
    const written = origin.get(tokens[1]);
    if (written && (tokens.length === 2 || written.has(tokens[2]!))) return spec.locate(pointer);
    const inKernel = pointerOf(...tokens);
    const at = kernel.doc.locate(inKernel);
    return at ? { line: at.line, column: at.column, file: kernel.label, pointer: inKernel } : undefined;
  };
  return { findings, json, locate, kernel: { id: kernel.id, version: kernel.version, file: kernel.label, definitions: [...origin.keys()].sort() } };
}

/**
 * The kernel's parameters: a taken ProtocolVersion enumerates the contract's versions (H2), and the
 * examples of a taken hello and error show the contract's own numbers (the docs print them).
 * Values the vocabulary has not approved (a malformed x-contract) are left alone: the checker reports them.
 */
function bindParameters(defs: Record<string, unknown>, contract: unknown, taken: ReadonlySet<string>, specAnchors: ReadonlyMap<string, string>): void {
  if (!isSchemaObject(contract)) return;
  const versions = Array.isArray(contract.protocolVersions) && contract.protocolVersions.every((v) => typeof v === 'string') ? (contract.protocolVersions as string[]) : undefined;
  const newest = versions ? [...versions].sort((a, b) => versionKey(a) - versionKey(b)).at(-1) : undefined;
  const int = (v: unknown): number | undefined => (Number.isSafeInteger(v) ? (v as number) : undefined);
  const field = (o: unknown, key: string): unknown => (isSchemaObject(o) ? o[key] : undefined);

  const version = defs.ProtocolVersion;
  if (versions && taken.has('ProtocolVersion') && !specAnchors.has('ProtocolVersion') && isSchemaObject(version)) defs.ProtocolVersion = { ...version, enum: [...versions] };

  const examplePayloads = (name: string): Record<string, unknown>[] => {
    const def = defs[name];
    if (!taken.has(name) || !isSchemaObject(def) || !Array.isArray(def.examples)) return [];
    return def.examples.map((e) => field(e, 'payload')).filter(isSchemaObject) as Record<string, unknown>[];
  };
  const transports = isSchemaObject(contract.transports) ? ['websocket', 'sse', 'poll'].filter((t) => t in (contract.transports as object)) : undefined;
  const capabilities = Array.isArray(contract.capabilities) ? [...(contract.capabilities as unknown[])] : [];
  for (const payload of examplePayloads('ProtocolHello')) {
    const set = (key: string, value: unknown): void => {
      if (value !== undefined) payload[key] = value;
    };
    set('protocol_version', newest);
    const maxMessages = int(field(contract.replayWindow, 'maxMessages'));
    const maxBytes = int(field(contract.replayWindow, 'maxBytes'));
    set('replay_window', maxMessages && maxBytes ? { max_messages: maxMessages, max_bytes: maxBytes } : undefined);
    set('heartbeat_ms', int(contract.heartbeatMs));
    set('session_ttl_ms', int(field(contract.session, 'ttlMs')));
    set('max_frame_bytes', int(contract.maxFrameBytes));
    set('transports', transports?.length ? transports : undefined);
    set('capabilities', capabilities);
  }
  for (const payload of examplePayloads('ProtocolError')) {
    if (Array.isArray(payload.supported_versions) && versions) {
      payload.supported_versions = [...versions];
      payload.message = `no common protocol version; the server speaks ${versions.join(', ')}`;
    }
  }
}

function versionKey(v: string): number {
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major * 1e6 + minor;
}
