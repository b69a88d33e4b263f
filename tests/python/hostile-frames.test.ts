/**
 * The hostile-client suite's frames attacks (tests/server/hostile/frames.test.ts, the same file and
 * table) against the Python server: each gets its typed answer, and after each the process lives,
 * every bystander gets every message and memory stays bounded.
 */
process.env.HOSTILE_RUNTIME = 'python';
await import('../server/hostile/frames.test.js');
