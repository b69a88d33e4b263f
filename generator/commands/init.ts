import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, type Command } from './command.js';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export const initCommand: Command = {
  name: 'init',
  summary: 'write a starter contract (a small chat on the shipped protocol kernel) and say what to run next',
  help: `Usage: contractgen init [--name NAME] [--transports LIST] [--spec FILE]

Writes a starter contract: three chat messages of your own, and the protocol kernel (hello,
resume, resumed, resume_failed, error, heartbeat, ack) taken by $ref from the kernel that
ships with contractgen. Its descriptions are its comments: they appear in the generated docs.
Also writes contractgen.config.json when the project has no settings yet, so later commands
need no flags. Never overwrites a file.

Options:
  --name NAME        kebab-case contract name; the generated API is named after it (default chat)
  --transports LIST  comma-separated, from websocket, sse, poll (default all three)
  --spec FILE        where to write it (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)

${EXIT_CODES_HELP}
  1 also means the file exists already (nothing was written).`,
  options: { ...SPEC_OPTION, name: { type: 'string', default: 'chat' }, transports: { type: 'string', default: 'websocket,sse,poll' } },
  async run(values, _positionals, io) {
    const [{ CONFIG_FILE, DEFAULT_OUT, loadConfig }, { STARTER_TRANSPORTS, starterContract }, { vocabularyPath }, { vocabularyId }] = await Promise.all([
      import('../config.js'),
      import('../starter.js'),
      import('../paths.js'),
      import('../vocabulary-validator.js'),
    ]);
    const name = values.name as string;
    if (!NAME.test(name)) {
      io.err(`contractgen init: --name must be kebab-case (a-z, 0-9 and single dashes, starting with a letter), not "${name}"\n`);
      return EXIT.usage;
    }
    const transports = (values.transports as string).split(',').map((t) => t.trim()).filter(Boolean);
    const unknown = transports.filter((t) => !(STARTER_TRANSPORTS as readonly string[]).includes(t));
    if (transports.length === 0 || unknown.length > 0) {
      io.err(`contractgen init: --transports takes a comma-separated list of ${STARTER_TRANSPORTS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}\n`);
      return EXIT.usage;
    }
    const config = loadConfig();
    const spec = (values.spec as string | undefined) ?? config.spec;
    const writeConfig = config.source === undefined;
    for (const file of [spec, ...(writeConfig ? [CONFIG_FILE] : [])]) {
      if (existsSync(file)) {
        io.err(`contractgen init: ${file} exists; init never overwrites a file (remove it, or pass --spec OTHER)\n`);
        return EXIT.failed;
      }
    }
    // $schema names the vocabulary meta-schema so editors complete x-contract: the installed file when it is inside this project, else its $id.
    const fromSpec = relative(dirname(resolve(spec)), vocabularyPath).split(sep).join('/');
    const local = !relative(process.cwd(), vocabularyPath).startsWith('..');
    const text = starterContract({ name, transports: transports as (typeof STARTER_TRANSPORTS)[number][], vocabulary: local ? fromSpec : vocabularyId() });
    mkdirSync(dirname(resolve(spec)), { recursive: true });
    writeFileSync(spec, text, { flag: 'wx' });
    io.out(`contractgen: wrote ${spec} (the "${name}" contract: chat.send, chat.message, chat.presence on protocol kernel 1)\n`);
    if (writeConfig) {
      const out = config.targets.find((t) => t.language === 'typescript')?.out ?? DEFAULT_OUT;
      writeFileSync(CONFIG_FILE, `${JSON.stringify({ spec, targets: [{ language: 'typescript', out }] }, null, 2)}\n`, { flag: 'wx' });
      io.out(`contractgen: wrote ${CONFIG_FILE} (spec and output folder, so commands need no flags)\n`);
    }
    io.out(`
Next:
  npx contractgen lint     every finding, with file:line:col and how to fix it
  npx contractgen build    types, validators, server, client and docs into ${config.targets[0]?.out ?? DEFAULT_OUT}/
  npx contractgen check    in CI: fails when the generated files are stale
Then serve it and connect a client: README "Quick start" (the package's README.md).
`);
    return EXIT.ok;
  },
};
