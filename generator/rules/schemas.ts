/**
 * Rules about the schemas themselves: references resolve, keywords are real, names can become
 * TypeScript identifiers, and no session id can be filled in for the client (S2).
 */
import { KERNEL_URL } from '../kernel.js';
import { RESERVED_TYPE_NAMES } from '../model/names.js';
import { isSafeIdentifier } from '../escape.js';
import { closest } from '../naming.js';
import { deref, getAt, isSchemaObject, walkSchemas, type Schema } from '../schema-walk.js';
import type { LintRule, RuleHit } from './rule.js';

/** Keywords of JSON Schema 2020-12 (core, applicator, validation, unevaluated, meta-data, format, content). */
export const KNOWN_KEYWORDS = new Set([
  '$schema', '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor', '$vocabulary', '$comment', '$defs',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'prefixItems', 'items', 'contains',
  'properties', 'patternProperties', 'additionalProperties', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties',
  'type', 'const', 'enum', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength',
  'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties',
  'minProperties', 'required', 'dependentRequired', 'title', 'description', 'default', 'deprecated', 'readOnly',
  'writeOnly', 'examples', 'format', 'contentEncoding', 'contentMediaType', 'contentSchema', 'x-contract', 'x-message',
]);

const SESSION_ID_NAMES = new Set(['session_id', 'sessionId', 'sessionID']);

export const schemaRules: LintRule[] = [
  {
    id: 'ref-resolves',
    sentence: 'Every $ref points inside the document and resolves.',
    check(ctx) {
      const hits: RuleHit[] = [];
      walkSchemas(ctx.root, (s, pointer) => {
        if (typeof s.$ref !== 'string' || s.$ref.startsWith(KERNEL_URL)) return; // kernel references: the loader takes them or reports why not
        if (!s.$ref.startsWith('#')) {
          hits.push({ pointer: `${pointer}/$ref`, message: `$ref "${s.$ref}" points outside the spec; contractgen reads one document and the kernel it ships`, hint: `copy the schema under #/$defs and reference it as "#/$defs/Name", or take a kernel definition ("${KERNEL_URL}1#/$defs/Name")` });
        } else if (!isSchemaObject(getAt(ctx.root, s.$ref))) {
          hits.push({ pointer: `${pointer}/$ref`, message: `$ref "${s.$ref}" does not resolve`, hint: 'point at an existing schema, e.g. "#/$defs/Name"' });
        }
      });
      return hits;
    },
  },
  {
    id: 'known-keywords',
    sentence: 'Every keyword is a JSON Schema 2020-12 keyword or one of the vocabulary (a misspelling would be ignored silently).',
    check(ctx) {
      const hits: RuleHit[] = [];
      const known = [...KNOWN_KEYWORDS];
      walkSchemas(ctx.root, (s, pointer) => {
        for (const key of Object.keys(s)) {
          if (KNOWN_KEYWORDS.has(key) || key.startsWith('x-')) continue; // x- keys: the meta-schema decides
          const guess = closest(key, known);
          hits.push({ pointer: `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `"${key}" is not a JSON Schema keyword, so it would be ignored`, hint: guess ? `did you mean "${guess}"?` : 'remove it, or move the note into "description"' });
        }
      });
      return hits;
    },
  },
  {
    id: 'session-id-no-default',
    rule: 'S2',
    sentence: 'No schema gives a session id a default or a constant: there is no implicit session.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const flagged = new Set<string>();
      const flag = (s: Schema, pointer: string, via: string): void => {
        for (const key of ['default', 'const'] as const) {
          if (key in s && !flagged.has(`${pointer}/${key}`)) {
            flagged.add(`${pointer}/${key}`);
            hits.push({ pointer: `${pointer}/${key}`, message: `${via} has a ${key} (${JSON.stringify(s[key])}); a missing session id must be rejected, never filled in`, hint: `remove "${key}"; the server assigns session ids (S1) and rejects frames without one (S2)` });
          }
        }
      };
      walkSchemas(ctx.root, (s, pointer, propertyName) => {
        if (!propertyName || !SESSION_ID_NAMES.has(propertyName)) return;
        flag(s, pointer, `"${propertyName}"`);
        const target = deref(ctx.root, s, pointer);
        if (target && target.pointer !== pointer) flag(target.schema, target.pointer, `"${propertyName}" (through ${pointer})`);
      });
      return hits;
    },
  },
  {
    id: 'def-names',
    sentence: 'Every $defs name is a PascalCase identifier and none takes a name the generator declares.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const defs = isSchemaObject(ctx.root.$defs) ? ctx.root.$defs : {};
      for (const name of Object.keys(defs)) {
        if (!/^[A-Z][A-Za-z0-9]*$/.test(name) || !isSafeIdentifier(name)) {
          hits.push({ pointer: `/$defs/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `"${name}" cannot become a TypeScript type name`, hint: 'use PascalCase letters and digits, e.g. "UiRender"' });
        } else if (RESERVED_TYPE_NAMES.includes(name)) {
          hits.push({ pointer: `/$defs/${name}`, message: `"${name}" is a name the generated types declare themselves`, hint: `rename it (reserved: ${RESERVED_TYPE_NAMES.join(', ')})` });
        }
      }
      return hits;
    },
  },
  {
    id: 'format-is-annotation',
    sentence: 'format is an annotation in 2020-12: generated validators do not assert it.',
    check(ctx) {
      const hits: RuleHit[] = [];
      walkSchemas(ctx.root, (s, pointer) => {
        if (typeof s.format === 'string' && typeof s.pattern !== 'string') {
          hits.push({ severity: 'warning', pointer: `${pointer}/format`, message: `"format": "${s.format}" is not checked by the generated validators (2020-12 treats format as an annotation)`, hint: 'add a "pattern" if the value must be enforced' });
        }
      });
      return hits;
    },
  },
];
