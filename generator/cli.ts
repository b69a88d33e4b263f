/**
 * The `contractgen` command line: parses arguments with node:util, dispatches to a command,
 * and turns contract errors into findings on stderr with exit code 1.
 */
import { parseArgs } from 'node:util';
import { buildCommand } from './commands/build.js';
import { checkCommand } from './commands/check.js';
import { diffCommand } from './commands/diff.js';
import { initCommand } from './commands/init.js';
import { EXIT, EXIT_CODES_HELP, type Command, type Io } from './commands/command.js';
import { lintCommand } from './commands/lint.js';
import { probeCommand } from './commands/probe.js';
import { ContractError, formatFindings } from './diagnostics.js';
import { toolVersion } from './paths.js';

const commands: readonly Command[] = [initCommand, buildCommand, checkCommand, diffCommand, lintCommand, probeCommand];

function mainHelp(): string {
  return `contractgen ${toolVersion}: one realtime protocol contract in, types, validators, server, client and docs out.

Usage: contractgen <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Run \`contractgen <command> --help\` for the options of a command.

${EXIT_CODES_HELP}
`;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${toolVersion}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`contractgen: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`contractgen ${command.name}: ${(err as Error).message}\n\n${command.help}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.out(`${command.help}\n`);
    return EXIT.ok;
  }
  const allowed = command.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < allowed.min || parsed.positionals.length > allowed.max) {
    io.err(`contractgen ${command.name}: expected ${allowed.min === allowed.max ? allowed.min : `${allowed.min} to ${allowed.max}`} argument(s), got ${parsed.positionals.length}\n\n${command.help}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (err) {
    if (err instanceof ContractError) {
      io.err(`${formatFindings(err.findings.filter((f) => f.severity === 'error'))}\n`);
      const count = err.findings.filter((f) => f.severity === 'error').length;
      // An OutputCheckError (files.ts, not imported here to keep start-up light) is about what the
      // build generated (the docs' trace, a diagram), not about the spec.
      const what =
        err.name === 'OutputCheckError' ? `${count} check(s) on the generated output failed` : err.name === 'OutputConflictError' ? `${count} file(s) in the output folder are in the way` : `the contract has ${count} error(s)`;
      io.err(`contractgen ${command.name}: ${what}; nothing was written\n`);
      return EXIT.failed;
    }
    if ((err as Error).name === 'ConfigError') {
      // config.ts, not imported here to keep start-up light: the settings file is wrong (a usage error).
      io.err(`contractgen ${command.name}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    const detail = ((err as Error).stack ?? String(err)).slice(0, 4000);
    io.err(`contractgen ${command.name}: internal error: ${detail}\nThis is a bug in contractgen; please report it with the spec that caused it.\n`);
    return EXIT.internal;
  }
}
