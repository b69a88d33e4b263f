/**
 * resolveLimits (L2): server overrides over x-contract.limits over the defaults; the two
 * defaults that follow the contract; a value that is not a positive integer is refused by name.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_NAMES, resolveLimits } from './limits.js';

const basis = { maxFrameBytes: 65_536, replayWindow: { maxBytes: 1_048_576 } };

describe('resolveLimits', () => {
  it('fills every limit: the fixed defaults, a poll answer of 256 KiB and 8 MiB of send buffer', () => {
    const l = resolveLimits(basis);
    expect(Object.keys(l).sort()).toEqual([...LIMIT_NAMES].sort());
    expect(l).toMatchObject({ ...DEFAULT_LIMITS, maxPollBytes: 256 * 1024, maxBufferedBytes: 8 * 1024 * 1024 });
  });

  it.each([
    ['a small window caps the poll answer, never below one frame', { maxFrameBytes: 1000, replayWindow: { maxBytes: 4000 } }, { maxPollBytes: 4000, maxBufferedBytes: 8 * 1024 * 1024 }],
    ['a frame larger than 256 KiB raises the poll answer to one frame', { maxFrameBytes: 500_000, replayWindow: { maxBytes: 4_000_000 } }, { maxPollBytes: 500_000, maxBufferedBytes: 32_000_000 }],
  ])('%s', (_name, b, want) => {
    expect(resolveLimits(b)).toMatchObject(want);
  });

  it('the server overrides the spec, which overrides the defaults, limit by limit', () => {
    const l = resolveLimits(basis, { maxSessions: 5, maxFramesPerPost: 3 }, { maxSessions: 7, maxErrorFrames: 2 });
    expect(l).toMatchObject({ maxSessions: 7, maxFramesPerPost: 3, maxErrorFrames: 2, maxSessionsPerClient: DEFAULT_LIMITS.maxSessionsPerClient });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s, naming the limit', (bad) => {
    expect(() => resolveLimits(basis, undefined, { maxInboundBytes: bad })).toThrow(/limits\.maxInboundBytes must be a positive integer/);
  });
});
