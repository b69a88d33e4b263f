// Parses Mermaid diagrams with Mermaid's own grammars (the `mermaid` package, no browser):
// reads a JSON array of diagram sources on stdin, writes [{ ok, error? }] on stdout.
// Run with `node --import ./register.mjs parse.mjs`.
const mermaid = (await import('mermaid')).default;
mermaid.initialize({ startOnLoad: false });
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    await mermaid.parse(source);
    results.push({ ok: true });
  } catch (err) {
    results.push({ ok: false, error: String(err?.message ?? err).split('\n').slice(0, 4).join('\n') });
  }
}
process.stdout.write(JSON.stringify(results));
