/**
 * One progress bar for the whole demo (cli-progress). The parts train synchronously, so the
 * bar's redraw timer only runs when a part yields: `advance` yields to the event loop at most
 * every 100 ms. Without a TTY the bar prints a line every couple of seconds (noTTYOutput), and
 * `log` lines go to stdout between them.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  startPart(title: string): void;
  advance(units?: number): Promise<void>;
  log(line: string): void;
  stop(): void;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createProgress(total: number, enabled: boolean): Progress {
  if (!enabled) {
    return { startPart() {}, advance: async () => {}, log: (line) => console.log(line), stop() {} };
  }
  const tty = Boolean(process.stderr.isTTY);
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {percentage}% | {part} | {duration_formatted} elapsed, ETA {eta_formatted}',
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: tty,
      etaBuffer: 40,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { part: 'starting' });
  let done = 0;
  let lastYield = performance.now();
  return {
    startPart(title) {
      bar.update(done, { part: title });
    },
    async advance(units = 1) {
      done += units;
      bar.update(done);
      if (performance.now() - lastYield > 100) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    },
    log(line) {
      if (tty) process.stderr.write('\r\x1b[K');
      console.log(line);
      if (tty) bar.render();
    },
    stop() {
      bar.update(total);
      bar.stop();
    },
  };
}
