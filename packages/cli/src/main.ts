// Process entry of the `argmin` bin (see bin/argmin.mjs).
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2));
