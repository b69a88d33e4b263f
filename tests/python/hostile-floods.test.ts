/**
 * The hostile-client suite's floods attacks (tests/server/hostile/floods.test.ts, the same file and
 * table) against the Python server: each gets its typed answer, and after each the process lives,
 * every bystander gets every message and memory stays bounded.
 */
process.env.HOSTILE_RUNTIME = 'python';
await import('../server/hostile/floods.test.js');
