// What a command may touch besides its arguments: injectable, so tests run commands in-process.
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Directory that relative paths are resolved against. */
  readonly cwd: string;
  /** Stops a long-running command (`view --serve`); SIGINT/SIGTERM when unset. */
  readonly signal?: AbortSignal;
  /** Reads standard input, for `argmin view -`. */
  readonly stdin?: () => Promise<string>;
  /** Environment variables (ARGMIN_DEBUG=1 prints stack traces of unexpected errors). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function processIo(): Io {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** A failure to report as one line (no stack trace), with the process exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
