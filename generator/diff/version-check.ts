/**
 * Diff stage 5 — version check: did x-contract.version move enough for the changes found?
 *
 * Semver rules, with the 0.x convention of npm's caret ranges and Cargo: while the major version
 * is 0 every component shifts one place right — a breaking change needs a minor bump
 * (0.9.0 → 0.10.0, or 1.0.0), an additive one at least a patch bump (a minor bump is fine too),
 * documentation at least a patch bump. Moving out of a pre-release (OLD is 1.0.0-rc.1) carries no
 * compatibility promise, so any forward move is enough.
 *
 * Severity: a breaking change without a big enough bump, or a version that goes backwards, is an
 * error (it fails `--fail-on breaking`); an additive or doc-only change without its bump is a
 * warning.
 */
import { bumpRank, type Bump } from './change.js';

export type VersionStatus = 'ok' | 'not-bumped' | 'too-small' | 'downgraded' | 'unknown';

export interface VersionCheck {
  readonly old?: string;
  readonly new?: string;
  /** The bump the changes call for (the recommended bump). */
  readonly recommended: Bump;
  /** The smallest version component that must change for it (0.x shifts it, see above). */
  readonly required: Bump;
  /** How the version actually moved. */
  readonly actual: Bump | 'downgrade' | 'unknown';
  readonly status: VersionStatus;
  /** Absent when the status is ok. */
  readonly severity?: 'error' | 'warning';
  /** The smallest version that satisfies the check, when OLD parses. */
  readonly suggested?: string;
  readonly message: string;
}

interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly string[];
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseSemver(text: string | undefined): SemVer | undefined {
  const m = text === undefined ? null : SEMVER.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split('.') : [] };
}

/** Semver precedence (§11): negative when a < b. */
export function compareSemver(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  // A release ranks above its pre-releases.
  if (a.prerelease.length === 0 && b.prerelease.length === 0) return 0;
  if (a.prerelease.length === 0) return 1;
  if (b.prerelease.length === 0) return -1;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Math.sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Which component moved from a to b (a < b). A pre-release of the next version counts as that bump. */
function bumpBetween(a: SemVer, b: SemVer): Bump {
  if (b.major !== a.major) return 'major';
  if (b.minor !== a.minor) return 'minor';
  return 'patch'; // a later patch, a later pre-release, or the release of a pre-release
}

/** The component a bump must change in this version line: 0.x shifts each one place right. */
export function requiredBump(recommended: Bump, old: SemVer | undefined): Bump {
  if (!old || old.major > 0) return recommended;
  return recommended === 'major' ? 'minor' : recommended === 'none' ? 'none' : 'patch';
}

function next(v: SemVer, bump: Bump): string {
  if (bump === 'major') return `${v.major + 1}.0.0`;
  if (bump === 'minor') return `${v.major}.${v.minor + 1}.0`;
  if (bump === 'patch') return v.prerelease.length > 0 ? `${v.major}.${v.minor}.${v.patch}` : `${v.major}.${v.minor}.${v.patch + 1}`;
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease.length ? `-${v.prerelease.join('.')}` : ''}`;
}

export function checkVersion(oldVersion: string | undefined, newVersion: string | undefined, recommended: Bump): VersionCheck {
  const a = parseSemver(oldVersion);
  const b = parseSemver(newVersion);
  const required = requiredBump(recommended, a);
  const base = { ...(oldVersion !== undefined ? { old: oldVersion } : {}), ...(newVersion !== undefined ? { new: newVersion } : {}), recommended, required };
  const changesNeed = recommended === 'major' ? 'breaking changes need' : recommended === 'minor' ? 'additive changes need' : 'doc-only changes need';
  const zeroNote = a && a.major === 0 && recommended !== 'none' ? ' (0.x: a breaking change bumps the minor version, any other change at least the patch version)' : '';
  const severityFor = (): 'error' | 'warning' => (recommended === 'major' ? 'error' : 'warning');

  if (!a || !b) {
    const [side, text] = !a ? ['OLD', oldVersion] : ['NEW', newVersion];
    const what = text === undefined ? `${side} has no x-contract.version` : `${side} version ${JSON.stringify(text)} is not a semantic version`;
    return { ...base, actual: 'unknown', status: 'unknown', ...(recommended === 'none' ? {} : { severity: 'warning' as const }), message: `${what}, so the bump cannot be checked` };
  }
  const suggested = next(a, required);
  const order = compareSemver(a, b);
  if (order > 0) {
    return { ...base, actual: 'downgrade', status: 'downgraded', severity: 'error', suggested, message: `the version went backwards (${oldVersion} → ${newVersion}); ${recommended === 'none' ? 'use a version after ' + oldVersion : `use ${suggested} or later`}` };
  }
  const actual: Bump = order === 0 ? 'none' : bumpBetween(a, b);
  const prereleaseExit = a.prerelease.length > 0 && order < 0;
  if (recommended === 'none') {
    return { ...base, actual, status: 'ok', message: actual === 'none' ? `no changes, and the version stays ${newVersion}` : `no changes; the version moved anyway (${oldVersion} → ${newVersion})` };
  }
  if (bumpRank(actual) >= bumpRank(required) || prereleaseExit) {
    const why = prereleaseExit && bumpRank(actual) < bumpRank(required) ? ' (leaving a pre-release carries no compatibility promise)' : '';
    return { ...base, actual, status: 'ok', suggested, message: `${oldVersion} → ${newVersion} is a ${actual} bump; ${changesNeed} at least a ${required} bump${zeroNote}${why}` };
  }
  if (actual === 'none') {
    return { ...base, actual, status: 'not-bumped', severity: severityFor(), suggested, message: `version not bumped (still ${newVersion}): ${changesNeed} at least a ${required} bump, e.g. ${suggested}${zeroNote}` };
  }
  return { ...base, actual, status: 'too-small', severity: severityFor(), suggested, message: `${oldVersion} → ${newVersion} is only a ${actual} bump: ${changesNeed} at least a ${required} bump, e.g. ${suggested}${zeroNote}` };
}
