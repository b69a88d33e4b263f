/**
 * Rules that stop a broken or hostile spec before an emitter meets it (G1, G2): references an
 * emitter could not name or follow, schemas that refer to themselves without reading any input,
 * patterns that do not compile or backtrack catastrophically, schemas Ajv cannot compile, and
 * names that would become members every object already has. Each defect is a finding with its
 * pointer — never a crash of the build.
 */
import { parsePointer, pointerOf } from '../diagnostics.js';
import { isSafeIdentifier, PROTOTYPE_NAMES } from '../escape.js';
import { memberName } from '../model/names.js';
import { getAt, isSchemaObject, walkSchemas, type Schema } from '../schema-walk.js';
import { checkPattern, patternFlags } from './pattern-check.js';
import type { LintRule, RuleContext, RuleHit } from './rule.js';
import { schemaRules } from './schemas.js';

const DEF_REF = /^#\/\$defs\/[^/]+$/;

/** Keywords whose subschemas apply to the same value (they read no input before applying). */
const IN_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const IN_PLACE_ONE = ['not', 'if', 'then', 'else'] as const;

/** Every schema of the spec (the document and the path-parameter schemas of x-contract), with its pointer. */
function eachSchema(ctx: RuleContext, visit: (schema: Schema, pointer: string) => void): void {
  walkSchemas(ctx.root, visit);
  (ctx.contract.history ?? []).forEach((h, i) => {
    for (const [name, schema] of Object.entries(h.pathParams ?? {})) {
      walkSchemas(schema, (s, p) => visit(s, `${pointerOf('x-contract', 'history', i, 'pathParams', name)}${p}`));
    }
  });
}

/** Every `pattern` and `patternProperties` key, where it is written. */
function patterns(ctx: RuleContext): { pointer: string; source: string }[] {
  const out: { pointer: string; source: string }[] = [];
  eachSchema(ctx, (s, pointer) => {
    if (typeof s.pattern === 'string') out.push({ pointer: `${pointer}/pattern`, source: s.pattern });
    if (isSchemaObject(s.patternProperties)) for (const key of Object.keys(s.patternProperties)) out.push({ pointer: pointer + pointerOf('patternProperties', key), source: key });
  });
  return out;
}

function compiles(source: string): string | undefined {
  try {
    new RegExp(source, patternFlags);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Cycles among schemas that apply to the same value: `$ref`, allOf/anyOf/oneOf, not, if/then/else.
 * A validator following one loops forever on any input; recursion through `properties` or
 * `items` is a recursive type and fine (each step reads a smaller value). Iterative, so a long
 * chain costs no stack.
 */
function refCycles(root: Schema): { pointer: string; path: string[] }[] {
  const edges = new Map<string, { to: string; via: string }[]>();
  walkSchemas(root, (s, pointer) => {
    const out: { to: string; via: string }[] = [];
    if (typeof s.$ref === 'string' && DEF_REF.test(s.$ref) && isSchemaObject(getAt(root, s.$ref))) out.push({ to: pointerOf(...parsePointer(s.$ref)), via: `${pointer}/$ref` });
    for (const key of IN_PLACE_LISTS) if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((_, i) => out.push({ to: `${pointer}/${key}/${i}`, via: `${pointer}/${key}/${i}` }));
    for (const key of IN_PLACE_ONE) if (isSchemaObject(s[key])) out.push({ to: `${pointer}/${key}`, via: `${pointer}/${key}` });
    edges.set(pointer, out);
  });
  const state = new Map<string, 'open' | 'done'>();
  const found = new Map<string, { pointer: string; path: string[] }>();
  for (const start of [...edges.keys()].sort()) {
    if (state.has(start)) continue;
    const stack: { node: string; next: number; via?: string }[] = [{ node: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edge = edges.get(top.node)?.[top.next++];
      if (!edge) {
        state.set(top.node, 'done');
        stack.pop();
        continue;
      }
      if (state.get(edge.to) === 'open') {
        // The loop is the part of the stack from edge.to to here, closed by this edge.
        const from = stack.findIndex((f) => f.node === edge.to);
        const loop = [...stack.slice(from + 1).map((f) => f.via!), edge.via];
        const refs = loop.filter((v) => v.endsWith('/$ref')).sort();
        const key = [...loop].sort().join('|');
        if (!found.has(key)) found.set(key, { pointer: refs[0] ?? edge.via, path: [...stack.slice(from).map((f) => f.node), edge.to] });
      } else if (!state.has(edge.to)) {
        state.set(edge.to, 'open');
        stack.push({ node: edge.to, next: 0, via: edge.via });
      }
    }
  }
  return [...found.values()];
}

/** Rules whose errors explain why Ajv cannot compile the schemas. */
const EXPLAINING = ['ref-resolves', 'ref-names-def', 'ref-cycle', 'id-only-at-root', 'pattern-compiles'];

let byId: Map<string, LintRule> | undefined;
function rulesById(): Map<string, LintRule> {
  byId ??= new Map([...schemaRules, ...hostileRules].map((r) => [r.id, r]));
  return byId;
}

export const hostileRules: LintRule[] = [
  {
    id: 'ref-names-def',
    sentence: 'A $ref names a $defs entry ("#/$defs/Name"): every generated type is named after one.',
    check(ctx) {
      const hits: RuleHit[] = [];
      eachSchema(ctx, (s, pointer) => {
        // Refs that leave the document or do not resolve are ref-resolves' to report.
        if (typeof s.$ref !== 'string' || !s.$ref.startsWith('#') || DEF_REF.test(s.$ref) || !isSchemaObject(getAt(ctx.root, s.$ref))) return;
        hits.push({ pointer: `${pointer}/$ref`, message: `$ref "${s.$ref}" points at a schema that is not a $defs entry, so the generated code has no name for it`, hint: 'move that schema under "$defs" with a PascalCase name and refer to it as "#/$defs/Name"' });
      });
      return hits;
    },
  },
  {
    id: 'ref-cycle',
    sentence: 'No schema refers back to itself through $ref, allOf/anyOf/oneOf, not or if/then/else alone (a validator would loop forever); recursive types go through properties or items.',
    check(ctx) {
      return refCycles(ctx.root).map((c) => ({
        pointer: c.pointer,
        message: `this $ref closes a loop that reads no input: ${c.path.join(' → ')}`,
        hint: 'break the loop; a schema may refer to itself only inside properties, items or another keyword that moves into the value (a recursive type)',
      }));
    },
  },
  {
    id: 'id-only-at-root',
    sentence: '$id appears only at the root: an $id inside would change what the $refs under it resolve against.',
    check(ctx) {
      const hits: RuleHit[] = [];
      eachSchema(ctx, (s, pointer) => {
        if (pointer !== '' && '$id' in s) hits.push({ pointer: `${pointer}/$id`, message: '$id inside the spec starts another document, and the $refs under it would no longer resolve in this one', hint: 'remove it; contractgen reads one self-contained document (the root may have an $id)' });
      });
      return hits;
    },
  },
  {
    id: 'pattern-compiles',
    sentence: 'Every pattern (and patternProperties key) is an ECMA-262 regular expression with the u flag, as validators run it.',
    check(ctx) {
      return patterns(ctx).flatMap(({ pointer, source }) => {
        const why = compiles(source);
        return why ? [{ pointer, message: `${JSON.stringify(source)} is not a valid regular expression: ${why}`, hint: 'fix the pattern (JSON Schema patterns are ECMA-262 regexes, read with the u flag)' }] : [];
      });
    },
  },
  {
    id: 'pattern-linear',
    sentence: 'Every pattern matches in linear time (checked with recheck): a pattern that backtracks catastrophically lets one frame block the server.',
    check(ctx) {
      return patterns(ctx).flatMap(({ pointer, source }): RuleHit[] => {
        if (compiles(source) !== undefined) return []; // pattern-compiles reports it
        const verdict = checkPattern(source);
        switch (verdict.status) {
          case 'linear':
            return [];
          case 'vulnerable':
            return [{ pointer, message: `${JSON.stringify(source)} takes ${verdict.complexity} time to fail on some inputs (e.g. ${verdict.attack}): one such value blocks the process that validates it`, hint: 'rewrite it so that no two quantifiers can match the same text (e.g. "(a+)+" → "a+", "\\\\s*x?\\\\s*" → "\\\\s*(x\\\\s*)?"), and bound the value with maxLength' }];
          case 'unknown':
            return [{ severity: 'warning', pointer, message: `${JSON.stringify(source)} could not be shown to match in linear time (${verdict.reason})`, hint: 'simplify the pattern (fewer nested or adjacent quantifiers, smaller counted repetitions) so the check can decide it' }];
          case 'skipped':
            return [{ pointer, message: `${JSON.stringify(source)} was not checked: the spec's patterns used up the ${verdict.budgetMs} ms the check may take`, hint: 'use fewer distinct or simpler patterns' }];
        }
      });
    },
  },
  {
    id: 'schemas-compile',
    sentence: 'The $defs compile with Ajv (JSON Schema 2020-12), as the generated validators need.',
    check(ctx) {
      // The last resort: reported only when no rule above says more precisely what is wrong.
      if (!ctx.compileError || EXPLAINING.some((id) => rulesById().get(id)!.check(ctx).some((h) => (h.severity ?? 'error') === 'error'))) return [];
      return [{ pointer: '/$defs', message: `the schemas do not compile: ${ctx.compileError}`, hint: 'fix the schema the message names' }];
    },
  },
  {
    id: 'no-has-own-property-key',
    sentence: 'No key in the schemas is "hasOwnProperty": the TypeScript types library calls that method on every object it reads.',
    check(ctx) {
      const hits: RuleHit[] = [];
      // Iterative: the loader bounds depth, but nothing here should depend on it.
      const stack: { value: unknown; pointer: string }[] = [{ value: ctx.root.$defs, pointer: '/$defs' }];
      while (stack.length > 0) {
        const { value, pointer } = stack.pop()!;
        if (Array.isArray(value)) value.forEach((v, i) => stack.push({ value: v, pointer: `${pointer}/${i}` }));
        else if (isSchemaObject(value)) {
          for (const [key, v] of Object.entries(value)) {
            if (key === 'examples') continue; // examples never reach the types
            const at = pointer + pointerOf(key);
            if (key === 'hasOwnProperty') hits.push({ pointer: at, message: 'a key named "hasOwnProperty" breaks json-schema-to-typescript, which calls hasOwnProperty() on every object of a schema', hint: 'rename it' });
            stack.push({ value: v, pointer: at });
          }
        }
      }
      return hits.sort((a, b) => a.pointer.localeCompare(b.pointer));
    },
  },
  {
    id: 'generated-names',
    sentence: 'History endpoint names and the method names derived from message types are identifiers no object already has (toString, valueOf, …).',
    check(ctx) {
      const hits: RuleHit[] = [];
      (ctx.contract.history ?? []).forEach((h, i) => {
        if (!isSafeIdentifier(h.name) || PROTOTYPE_NAMES.has(h.name)) {
          hits.push({ pointer: `/x-contract/history/${i}/name`, message: `"${h.name}" cannot name a history endpoint: it is a reserved word or a member every JavaScript object has`, hint: 'choose another camelCase name, e.g. "conversationHistory"' });
        }
      });
      for (const m of ctx.messages) {
        const member = memberName(m.type);
        if (!isSafeIdentifier(member) || PROTOTYPE_NAMES.has(member)) {
          hits.push({ pointer: `${m.pointer}/x-message/type`, message: `"${m.type}" becomes the method name ${member}(), a member every JavaScript object has`, hint: 'rename the message type' });
        }
      }
      return hits;
    },
  },
];
