// The `argmin` command line: dispatches to subcommands and turns failures into messages and
// exit codes (1: the command failed, 2: it was used wrongly).
import { readFileSync } from 'node:fs';
import { VIEW_HELP, viewCommand } from './commands/view.js';
import { CliError, type Io, processIo } from './io.js';

type Command = (argv: readonly string[], io: Io) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  view: { run: viewCommand, summary: 'open a graph in the viewer: write a standalone HTML page, or serve it' },
};

export const HELP = `argmin: differentiable optimization, on the command line.

Usage: argmin <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

Options:
  -h, --help      show this help; 'argmin <command> --help' for a command
  -v, --version   show the version

Examples:
  argmin view graph.json -o graph.html
  argmin view --example synthetic --serve

Run 'argmin view --help' for every option of the viewer.
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI with `argv` (the arguments after `argmin`) and returns the exit code. */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    if (first === 'help' && rest[0] === 'view') io.stdout(VIEW_HELP);
    else io.stdout(HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!command) {
    io.stderr(`argmin: unknown command '${first}'. Commands: ${Object.keys(COMMANDS).join(', ')}. See 'argmin --help'.\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`argmin ${first}: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug or an unforeseen failure: still one readable line; the stack only when asked for.
    const debug = io.env?.ARGMIN_DEBUG === '1';
    const text = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
    io.stderr(`argmin ${first}: ${text}${debug ? '' : ' (set ARGMIN_DEBUG=1 for the stack trace)'}\n`);
    return 1;
  }
}
