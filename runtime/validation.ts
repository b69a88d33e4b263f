/**
 * Typed validators on top of generated Ajv standalone functions: results instead of a mutable
 * `.errors` property, issues that name the wrong field by JSON pointer, and per-direction
 * dispatchers that tell an unknown message type from an invalid one.
 */
import { lastErrors, leanCheck } from './ajv-errors.js';
import { clip } from './frames.js';

/** The shape of an error object produced by Ajv standalone code. */
export interface RawValidationError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

/** A generated Ajv standalone validate function. */
export interface RawValidator {
  (data: unknown): boolean;
  errors?: readonly RawValidationError[] | null;
}

export interface ValidationIssue {
  /** JSON pointer of the wrong field ('' for the value itself). */
  readonly path: string;
  readonly message: string;
  /** The JSON Schema keyword that failed, or `unknown-type` / `not-a-message`. */
  readonly keyword: string;
}

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[]; readonly type?: string };

export interface Validator<T> {
  (value: unknown): ValidationResult<T>;
  /** Type guard form of the same check. */
  is(value: unknown): value is T;
  /** What is validated, for messages: a message type or a schema name. */
  readonly subject: string;
}

/** Turns Ajv's error objects into issues with the offending field in the path. */
export function toIssues(errors: readonly RawValidationError[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    const p = e.params;
    switch (e.keyword) {
      case 'required':
        return { path: `${e.instancePath}/${escapeToken(String(p.missingProperty))}`, message: 'is required', keyword: e.keyword };
      case 'additionalProperties':
        return { path: `${e.instancePath}/${escapeToken(String(p.additionalProperty))}`, message: 'is not allowed here', keyword: e.keyword };
      case 'enum':
        return { path: e.instancePath, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, keyword: e.keyword };
      case 'const':
        return { path: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}`, keyword: e.keyword };
      default:
        return { path: e.instancePath, message: e.message ?? ajvMessage(e.keyword, p), keyword: e.keyword };
    }
  });
}

const FEWER_OR_MORE: Readonly<Record<string, string>> = { maxLength: 'more', maxItems: 'more', maxProperties: 'more', minLength: 'fewer', minItems: 'fewer', minProperties: 'fewer' };
const UNITS: Readonly<Record<string, string>> = { maxLength: 'characters', minLength: 'characters', maxItems: 'items', minItems: 'items', maxProperties: 'properties', minProperties: 'properties' };

/**
 * Ajv's message for an error, from its keyword and params: generated validators leave messages
 * out of their error objects (runtime/ajv-errors.ts), and only an issue that is read needs one.
 * Worded as Ajv 8 words them (a differential test holds the two equal).
 */
export function ajvMessage(keyword: string, p: Readonly<Record<string, unknown>>): string {
  switch (keyword) {
    case 'type':
      return `must be ${String(p.type)}`;
    case 'required':
      return `must have required property '${String(p.missingProperty)}'`;
    case 'additionalProperties':
      return 'must NOT have additional properties';
    case 'unevaluatedProperties':
      return 'must NOT have unevaluated properties';
    case 'enum':
      return 'must be equal to one of the allowed values';
    case 'const':
      return 'must be equal to constant';
    case 'pattern':
      return `must match pattern "${String(p.pattern)}"`;
    case 'format':
      return `must match format "${String(p.format)}"`;
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'multipleOf':
      return `must be multiple of ${String(p.multipleOf)}`;
    case 'maxLength':
    case 'minLength':
    case 'maxItems':
    case 'minItems':
    case 'maxProperties':
    case 'minProperties':
      return `must NOT have ${FEWER_OR_MORE[keyword]!} than ${String(p.limit)} ${UNITS[keyword]!}`;
    case 'items':
    case 'additionalItems':
    case 'unevaluatedItems':
      return `must NOT have more than ${String(p.limit)} items`;
    case 'uniqueItems':
      return `must NOT have duplicate items (items ## ${String(p.j)} and ${String(p.i)} are identical)`;
    case 'contains':
      return p.maxContains === undefined
        ? `must contain at least ${String(p.minContains)} valid item(s)`
        : `must contain at least ${String(p.minContains)} and no more than ${String(p.maxContains)} valid item(s)`;
    case 'dependentRequired':
    case 'dependencies':
      return `must have ${p.depsCount === 1 ? 'property' : 'properties'} ${String(p.deps)} when property ${String(p.property)} is present`;
    case 'propertyNames':
      return 'property name must be valid';
    case 'oneOf':
      return 'must match exactly one schema in oneOf';
    case 'anyOf':
      return 'must match a schema in anyOf';
    case 'not':
      return 'must NOT be valid';
    case 'if':
      return `must match "${String(p.failingKeyword)}" schema`;
    case 'false schema':
      return 'boolean schema is false';
    case 'discriminator':
      return p.error === 'tag' ? `tag "${String(p.tag)}" must be string` : `value of tag "${String(p.tag)}" must be in oneOf`;
    default:
      return `must pass "${keyword}" keyword validation`;
  }
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * A failed check whose issues are worded when first read. Ajv has made its error objects already;
 * a caller that asks only `ok`, or reads the first issue, should not pay for wording every one
 * (that costs several times the check itself). A class, not an object literal with a getter:
 * V8 builds those slowly. `issues` is on the prototype, so `toJSON` lists it for JSON.
 */
class Invalid {
  readonly ok = false as const;
  #issues: ValidationIssue[] | undefined;
  readonly #errors: readonly RawValidationError[] | null | undefined;
  constructor(
    errors: readonly RawValidationError[] | null | undefined,
    readonly type: string,
  ) {
    this.#errors = errors;
  }
  get issues(): readonly ValidationIssue[] {
    return (this.#issues ??= toIssues(this.#errors));
  }
  toJSON(): { ok: false; issues: readonly ValidationIssue[]; type: string } {
    return { ok: false, issues: this.issues, type: this.type };
  }
}

export function createValidator<T>(subject: string, raw: RawValidator): Validator<T> {
  // A generated validator's own check, when it has one, skips the Ajv-style `.errors` bookkeeping.
  const check = leanCheck(raw);
  const validate =
    check === undefined
      ? (value: unknown): ValidationResult<T> => (raw(value) ? { ok: true, value: value as T } : new Invalid(raw.errors, subject))
      : (value: unknown): ValidationResult<T> => (check(value) ? { ok: true, value: value as T } : new Invalid(lastErrors(), subject));
  const is = check ?? raw;
  return Object.assign(validate, { is: (value: unknown): value is T => is(value), subject });
}

/** A validator of every frame of one direction, which also holds the validator of each message type. */
export interface Dispatcher<T = unknown> extends Validator<T> {
  /** The message types it knows, sorted. */
  readonly types: readonly string[];
  /** The validator of one message type (own types only: `toString` is none). */
  of(type: string): Validator<unknown> | undefined;
}

/**
 * Validates a frame of one direction: finds the message by its `type`, then validates it.
 * An unknown type is reported with keyword `unknown-type` so callers can answer `unknown_type`.
 */
export function createDispatcher<T extends { readonly type: string }>(subject: string, table: Readonly<Record<string, Validator<unknown>>>): Dispatcher<T> {
  const types = Object.keys(table).sort();
  const of = (type: string): Validator<unknown> | undefined => (Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined);
  const validate = (value: unknown): ValidationResult<T> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, issues: [{ path: '', message: 'must be a JSON object with a "type"', keyword: 'not-a-message' }] };
    }
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string') {
      return { ok: false, issues: [{ path: '/type', message: 'must be a string naming the message type', keyword: 'not-a-message' }] };
    }
    const v = of(type);
    if (!v) {
      return { ok: false, type, issues: [{ path: '/type', message: `"${clip(type)}" is not a ${subject} message (expected one of ${types.join(', ')})`, keyword: 'unknown-type' }] };
    }
    return v(value) as ValidationResult<T>;
  };
  return Object.assign(validate, { is: (value: unknown): value is T => validate(value).ok, subject, types, of });
}

/** One line per issue, prefixed by the message type: `ui.action: /payload/view_id must be string`. */
export function describeIssues(result: { readonly issues: readonly ValidationIssue[]; readonly type?: string }): string {
  return result.issues.map((i) => `${result.type ? `${result.type}: ` : ''}${i.path || '/'} ${i.message}`).join('; ');
}
