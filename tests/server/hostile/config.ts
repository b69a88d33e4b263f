/** The limits the hostile suite attacks: small, so that floods reach them in a test's time. */
import type { ContractLimits } from '../../../runtime/limits.js';
import type { HostileConfig } from './server-child.js';

export const KiB = 1024;

export const LIMITS: ContractLimits = {
  maxSessions: 60,
  maxSessionsPerClient: 20,
  maxSessionsPerSecond: 1000,
  maxInboundBytes: 64 * KiB,
  maxFramesPerPost: 4,
  maxErrorFrames: 2,
  maxPollBytes: 64 * KiB,
  maxPollFrames: 8,
  maxBufferedBytes: 256 * KiB,
};

export const TIGHT: HostileConfig = {
  resumeTimeoutMs: 1000,
  // A poll attachment lapses holdMs + heartbeatMs after its last answer, checked every heartbeat.
  contract: { heartbeatMs: 1000, transports: { poll: { path: '/poll', messagesPath: '/messages', holdMs: 3000 } } },
  limits: LIMITS,
};
