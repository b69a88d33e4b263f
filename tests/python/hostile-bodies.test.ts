/**
 * The hostile-client suite's bodies attacks (tests/server/hostile/bodies.test.ts, the same file and
 * table) against the Python server: each gets its typed answer, and after each the process lives,
 * every bystander gets every message and memory stays bounded.
 */
process.env.HOSTILE_RUNTIME = 'python';
await import('../server/hostile/bodies.test.js');
