/**
 * escape.ts's code escapers — the one gate for identifiers and the one way values become code (a
 * spec is untrusted input, so nothing raw is spliced into generated code) — and naming.ts's word
 * cases and hints.
 */
import { describe, expect, it } from 'vitest';
import { isSafeIdentifier, tsIdentifier as safeIdentifier, tsLiteral as literal, tsPropertyKey as propertyKey, tsString as stringLiteral, UnsafeIdentifierError } from '../generator/escape.js';
import { camelCase, closest, editDistance, pascalCase } from '../generator/naming.js';

/** Evaluates generated literal text as JavaScript source. */
function evaluate(code: string): unknown {
  return new Function(`"use strict"; return (${code});`)();
}

describe('safeIdentifier', () => {
  it.each(['UiRender', 'validateUiRender', '_private', '$dollar', 'a1', 'X'])('accepts %s', (name) => {
    expect(safeIdentifier(name)).toBe(name);
    expect(isSafeIdentifier(name)).toBe(true);
  });

  it.each(['class', 'default', 'delete', 'enum', 'await', 'yield', 'let', 'static', 'interface', 'string', 'undefined', 'constructor', 'prototype', '__proto__'])('rejects the reserved word %s', (name) => {
    expect(() => safeIdentifier(name)).toThrow(UnsafeIdentifierError);
    expect(isSafeIdentifier(name)).toBe(false);
  });

  it.each(['', '1abc', 'a-b', 'a.b', 'a b', 'ünïcode', 'a;alert(1)', 'x\n', 'a\u2028b', '${x}'])('rejects the odd name %j', (name) => {
    expect(() => safeIdentifier(name)).toThrow(/cannot be used as an identifier/);
    expect(isSafeIdentifier(name)).toBe(false);
  });
});

describe('camelCase and pascalCase', () => {
  it.each([
    ['protocol.resume_failed', 'protocolResumeFailed', 'ProtocolResumeFailed'],
    ['ui.render', 'uiRender', 'UiRender'],
    ['agent.event', 'agentEvent', 'AgentEvent'],
    ['chat.send', 'chatSend', 'ChatSend'],
    ['conversationHistory', 'conversationHistory', 'ConversationHistory'],
    ['a.b2_c', 'aB2C', 'AB2C'],
  ])('%s → %s / %s', (text, camel, pascal) => {
    expect(camelCase(text)).toBe(camel);
    expect(pascalCase(text)).toBe(pascal);
  });
});

describe('literal', () => {
  const strings = ['plain', 'double " quote', "single ' quote", 'back\\slash', 'line\nbreak', 'tab\t', 'nul\u0000', 'ls\u2028ps\u2029', '</script>', '${template}', '\u{1F600}', 'lone \ud83d surrogate'];

  it.each(strings)('round-trips the string %j', (value) => {
    const code = literal(value);
    expect(evaluate(code)).toBe(value);
    expect(code.startsWith('"')).toBe(true);
    // Safe in any source position: no raw line terminators in the text.
    expect(code).not.toMatch(/[\n\r\u2028\u2029]/);
  });

  it('escapes U+2028 and U+2029 explicitly', () => {
    expect(stringLiteral('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"');
  });

  it('round-trips nested objects, arrays and scalars with JSON.parse semantics', () => {
    const value = {
      name: 'agent-ui',
      'odd-key': [1, -2.5, 0, true, false, null, 'x"y'],
      'with space': { 'a/b': { '': 'empty key', '0': 'numeric key' } },
      nested: [[[]], {}, [{ deep: ['\u2028'] }]],
      $ok: 1,
    };
    const code = literal(value);
    expect(evaluate(code)).toEqual(value);
    expect(evaluate(code)).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('keeps a __proto__ key an own property, as JSON.parse does', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const evaluated = evaluate(literal(parsed)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(evaluated)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(evaluated, '__proto__')).toBe(true);
    expect(evaluated.polluted).toBeUndefined();
    expect(JSON.stringify(evaluated)).toBe(JSON.stringify(parsed));
  });

  it('writes identifier keys bare and other keys quoted', () => {
    expect(literal({ a: 1, 'b-c': 2, '1d': 3 })).toBe('{ a: 1, "b-c": 2, "1d": 3 }');
    expect(propertyKey('valid_$Name')).toBe('valid_$Name');
    expect(propertyKey('has space')).toBe('"has space"');
    expect(literal({})).toBe('{}');
    expect(literal([])).toBe('[]');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1, Symbol('s')])('rejects %s, which is not JSON', (value) => {
    expect(() => literal(value)).toThrow(TypeError);
  });
});

describe('did-you-mean helpers', () => {
  it('measures edit distance', () => {
    expect(editDistance('minLenght', 'minLength')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests only close words', () => {
    expect(closest('x-mesage', ['x-contract', 'x-message'])).toBe('x-message');
    expect(closest('replayWindw', ['replayWindow', 'heartbeatMs'])).toBe('replayWindow');
    expect(closest('completelyDifferent', ['x-contract', 'x-message'])).toBeUndefined();
  });
});
