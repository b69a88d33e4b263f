/**
 * The version check of x-contract.version against the recommended bump: semver, the 0.x rule
 * (each requirement shifts one place right), pre-releases, and the severity of a miss.
 */
import { describe, expect, it } from 'vitest';
import type { Bump } from '../../generator/diff/change.js';
import { checkVersion, compareSemver, parseSemver } from '../../generator/diff/version-check.js';
import { derived, diffSpecs } from './helpers.js';

describe('checkVersion', () => {
  it.each([
    // old, new, recommended → status, severity, required
    ['1.0.0', '2.0.0', 'major', 'ok', undefined, 'major'],
    ['1.4.2', '2.0.0', 'major', 'ok', undefined, 'major'],
    ['1.0.0', '1.1.0', 'major', 'too-small', 'error', 'major'],
    ['1.0.0', '1.0.0', 'major', 'not-bumped', 'error', 'major'],
    ['1.0.0', '1.1.0', 'minor', 'ok', undefined, 'minor'],
    ['1.0.0', '2.0.0', 'minor', 'ok', undefined, 'minor'],
    ['1.0.0', '1.0.1', 'minor', 'too-small', 'warning', 'minor'],
    ['1.0.0', '1.0.0', 'minor', 'not-bumped', 'warning', 'minor'],
    ['1.0.0', '1.0.1', 'patch', 'ok', undefined, 'patch'],
    ['1.0.0', '1.0.0', 'patch', 'not-bumped', 'warning', 'patch'],
    ['1.0.0', '1.0.0', 'none', 'ok', undefined, 'none'],
    ['1.0.0', '1.0.1', 'none', 'ok', undefined, 'none'],
    // 0.x: breaking needs a minor bump, everything else at least a patch bump
    ['0.9.0', '0.10.0', 'major', 'ok', undefined, 'minor'],
    ['0.9.0', '1.0.0', 'major', 'ok', undefined, 'minor'],
    ['0.9.0', '0.9.1', 'major', 'too-small', 'error', 'minor'],
    ['0.9.0', '0.10.0', 'minor', 'ok', undefined, 'patch'],
    ['0.9.0', '0.9.1', 'minor', 'ok', undefined, 'patch'],
    ['0.6.0', '0.6.1', 'patch', 'ok', undefined, 'patch'],
    ['0.6.0', '0.6.0', 'patch', 'not-bumped', 'warning', 'patch'],
    // backwards is always an error
    ['1.2.0', '1.1.0', 'minor', 'downgraded', 'error', 'minor'],
    ['1.2.0', '1.1.0', 'none', 'downgraded', 'error', 'none'],
    ['1.0.0', '1.0.0-rc.1', 'patch', 'downgraded', 'error', 'patch'],
    // pre-releases
    ['1.0.0', '2.0.0-rc.1', 'major', 'ok', undefined, 'major'],
    ['2.0.0-rc.1', '2.0.0-rc.2', 'major', 'ok', undefined, 'major'],
    ['2.0.0-rc.2', '2.0.0', 'major', 'ok', undefined, 'major'],
    // not semver
    ['one', '1.0.0', 'minor', 'unknown', 'warning', 'minor'],
  ] as const)('%s → %s with a %s change: %s', (oldV, newV, recommended, status, severity, required) => {
    const v = checkVersion(oldV, newV, recommended as Bump);
    expect(v.status).toBe(status);
    expect(v.severity).toBe(severity);
    expect(v.required).toBe(required);
    expect(v.message.length).toBeGreaterThan(10);
  });

  it('suggests the next version that satisfies the check', () => {
    expect(checkVersion('1.4.2', '1.4.2', 'major').suggested).toBe('2.0.0');
    expect(checkVersion('1.4.2', '1.4.2', 'minor').suggested).toBe('1.5.0');
    expect(checkVersion('0.9.0', '0.9.0', 'major').suggested).toBe('0.10.0');
    expect(checkVersion('0.9.0', '0.9.0', 'minor').suggested).toBe('0.9.1');
    expect(checkVersion('1.0.0', '1.0.0', 'major').message).toContain('version not bumped');
  });

  it('orders versions by semver precedence', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    for (let i = 1; i < order.length; i++) expect(compareSemver(parseSemver(order[i - 1])!, parseSemver(order[i])!), `${order[i - 1]} < ${order[i]}`).toBeLessThan(0);
  });
});

describe('the version check inside a diff', () => {
  const breaking = (s: any) => delete s.$defs.UiPatch;
  const version = (v: string) => (s: any) => (s['x-contract'].version = v);

  it('a breaking change without a major bump is an error', () => {
    const r = diffSpecs(derived(), derived((s) => (breaking(s), version('1.1.0')(s))));
    expect(r.versionCheck).toMatchObject({ status: 'too-small', severity: 'error', required: 'major', actual: 'minor', suggested: '2.0.0' });
  });

  it('a breaking change with a major bump passes', () => {
    const r = diffSpecs(derived(), derived((s) => (breaking(s), version('2.0.0')(s))));
    expect(r.versionCheck).toMatchObject({ status: 'ok' });
    expect(r.versionCheck.severity).toBeUndefined();
  });

  it('an additive change without a bump is a warning', () => {
    const r = diffSpecs(derived(), derived((s) => s['x-contract'].protocolVersions.push('1.2')));
    expect(r.versionCheck).toMatchObject({ status: 'not-bumped', severity: 'warning', required: 'minor' });
    expect(r.versionCheck.message).toContain('version not bumped');
  });

  it('a doc-only change without a bump is a warning', () => {
    const r = diffSpecs(derived(), derived((s) => (s.$defs.UiRender.description = 'Renders.')));
    expect(r.versionCheck).toMatchObject({ status: 'not-bumped', severity: 'warning', required: 'patch' });
  });

  it('a spec without x-contract.version cannot be checked (a warning)', () => {
    const r = diffSpecs(derived((s) => delete s['x-contract'].version), derived((s) => (s.$defs.UiRender.description = 'Renders.')));
    expect(r.versionCheck).toMatchObject({ status: 'unknown', severity: 'warning' });
    expect(r.versionCheck.message).toBe('OLD has no x-contract.version, so the bump cannot be checked');
  });
});
