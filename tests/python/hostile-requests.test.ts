/**
 * The hostile-client suite's requests attacks (tests/server/hostile/requests.test.ts, the same file and
 * table) against the Python server: each gets its typed answer, and after each the process lives,
 * every bystander gets every message and memory stays bounded.
 */
process.env.HOSTILE_RUNTIME = 'python';
await import('../server/hostile/requests.test.js');
