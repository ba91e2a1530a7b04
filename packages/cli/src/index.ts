/**
 * @argmin/cli: the `argmin` command line. Programmatic use runs a command in-process:
 * `await run(['view', 'graph.json', '-o', 'graph.html'])` returns the exit code.
 */
export { HELP, run, version } from './cli.js';
export { type ExampleBuilder, exampleDescriptions, examples } from './examples.js';
export { CliError, type Io } from './io.js';
