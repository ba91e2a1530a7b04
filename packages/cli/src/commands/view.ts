// `argmin view`: a graph file (or a built-in example) → the standalone viewer page, written to a
// file and/or served on 127.0.0.1.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fromJSON, type GraphJSON, GraphValidationError, toJSON } from '@argmin/graph';
import { renderViewerHtml } from '@argmin/viz/node';
import { exampleDescriptions, examples } from '../examples.js';
import { CliError, type Io } from '../io.js';
import { servePage } from '../serve.js';

export const VIEW_HELP = `Usage: argmin view [graph.json] [options]

Open a computation graph (JSON, format 'argmin.graph' version 1) in the argmin viewer.
The page is one self-contained HTML file: it works offline, from file://, with no server.

Input (one of):
  <graph.json>           a graph file, or - to read it from standard input
  -e, --example <name>   a built-in example graph instead of a file (see below)

Output:
  -o, --output <file>    write the HTML page here (default: the input's name with .html,
                         in the current directory, unless --serve is given alone); the
                         directory must exist
      --serve            serve the page on http://127.0.0.1 and print its URL; stop with Ctrl+C
  -p, --port <n>         port for --serve (default 0: any free port)
      --title <text>     the page's title (default: "<graph name> · argmin")
      --list-examples    list the built-in examples and exit
  -h, --help             show this help

Examples:
  argmin view graph.json -o graph.html
  argmin view --example synthetic -o synthetic.html
  argmin view graph.json --serve --port 8080

Built-in examples:
${exampleList()}
`;

function exampleList(): string {
  const names = Object.keys(examples).sort();
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `  ${n.padEnd(width)}  ${exampleDescriptions[n] ?? ''}`.trimEnd()).join('\n');
}

export async function viewCommand(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o' },
        example: { type: 'string', short: 'e' },
        serve: { type: 'boolean', default: false },
        port: { type: 'string', short: 'p' },
        title: { type: 'string' },
        'list-examples': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\nSee 'argmin view --help'.`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(VIEW_HELP);
    return 0;
  }
  if (values['list-examples']) {
    io.stdout(`${exampleList()}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new CliError(`expected one graph file, got ${positionals.length}: ${positionals.join(' ')}`, 2);
  const file = positionals[0];
  if ((file === undefined) === (values.example === undefined)) {
    throw new CliError("give either a graph file or --example <name>.\nSee 'argmin view --help'.", 2);
  }
  const port = parsePort(values.port);
  if (port !== undefined && !values.serve) throw new CliError('--port needs --serve', 2);

  const { graph, stem } = file !== undefined ? await loadFile(file, io) : await loadExample(values.example!);
  const html = renderViewerHtml(graph, values.title !== undefined ? { title: values.title } : {});
  const counts = `${graph.nodes.length} nodes, ${graph.clusters.length} clusters`;

  const output = values.output ?? (values.serve ? undefined : `${stem}.html`);
  if (output !== undefined) {
    const path = resolve(io.cwd, output);
    await writePage(path, output, html);
    io.stdout(`Wrote ${relative(io.cwd, path) || path} (${(html.length / 1024 / 1024).toFixed(1)} MB): "${graph.name}", ${counts}\n`);
  }
  if (values.serve) await serveUntilStopped(html, port ?? 0, `"${graph.name}" (${counts})`, io);
  return 0;
}

/**
 * Writes the page. The output's directory must exist: a typo in -o must not silently create a
 * directory tree somewhere. Failures become one-line messages (no stack trace).
 */
async function writePage(path: string, shown: string, html: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new CliError(`cannot write ${shown}: the directory ${dir} does not exist (create it first)`);
  if (!info.isDirectory()) throw new CliError(`cannot write ${shown}: ${dir} is not a directory`);
  try {
    await writeFile(path, html);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'it is a directory'
          : e.code === 'ENOSPC'
            ? 'no space left on the device'
            : e.message;
    throw new CliError(`cannot write ${shown}: ${why}`);
  }
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be an integer from 0 to 65535, got '${text}'`, 2);
  return port;
}

async function loadFile(file: string, io: Io): Promise<{ graph: GraphJSON; stem: string }> {
  let text: string;
  try {
    text =
      file === '-'
        ? await (io.stdin ?? (() => Promise.reject(new Error('no standard input'))))()
        : await readFile(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    // Validate here too, so that a bad file fails on the command line rather than in the page.
    const graph = toJSON(fromJSON(data));
    return { graph, stem: file === '-' ? 'graph' : basename(file, extname(file)) };
  } catch (err) {
    const detail = err instanceof GraphValidationError ? err.message : `${(err as Error).message}`;
    throw new CliError(`${file} is not a valid argmin graph: ${detail}`);
  }
}

async function loadExample(name: string): Promise<{ graph: GraphJSON; stem: string }> {
  const build = Object.hasOwn(examples, name) ? examples[name] : undefined;
  if (!build) throw new CliError(`unknown example '${name}'. Available: ${Object.keys(examples).sort().join(', ')}`, 2);
  return { graph: await build(), stem: name };
}

async function serveUntilStopped(html: string, port: number, what: string, io: Io): Promise<void> {
  let served;
  try {
    served = await servePage(html, port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ` (port ${port} is in use; try another --port, or --port 0)` : '';
    throw new CliError(`cannot serve on 127.0.0.1:${port}: ${e.message}${hint}`);
  }
  io.stdout(`Serving ${what} at ${served.url}\nPress Ctrl+C to stop.\n`);
  await new Promise<void>((done) => {
    if (io.signal) {
      if (io.signal.aborted) return done();
      io.signal.addEventListener('abort', () => done(), { once: true });
    } else {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    }
  });
  await served.close();
  io.stdout('Stopped.\n');
}
