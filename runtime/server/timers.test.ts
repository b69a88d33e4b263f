/**
 * withTimers: the test timers (`timers` option, `contractgen probe --timers`) replace exactly the
 * session TTL, the heartbeat and the poll hold of a contract, leave everything else alone, and
 * refuse values that are not positive whole milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { withTimers } from './contract-server.js';

describe('withTimers', () => {
  it('is the contract itself without timers', () => {
    expect(withTimers(contract, undefined)).toBe(contract);
  });

  it('replaces the TTL, heartbeat and poll hold, and nothing else', () => {
    const fast = withTimers(contract, { sessionTtlMs: 1500, heartbeatMs: 300, pollHoldMs: 400 });
    expect(fast.session).toEqual({ ...contract.session, ttlMs: 1500 });
    expect(fast.heartbeatMs).toBe(300);
    expect(fast.transports.poll).toEqual({ ...contract.transports.poll, holdMs: 400 });
    expect({ ...fast, session: contract.session, heartbeatMs: contract.heartbeatMs, transports: contract.transports }).toEqual(contract);
    expect(withTimers(contract, { heartbeatMs: 300 }).session.ttlMs).toBe(contract.session.ttlMs);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s ms', (ms) => {
    expect(() => withTimers(contract, { sessionTtlMs: ms })).toThrow(/timers.sessionTtlMs must be a positive whole number of milliseconds/);
  });
});
