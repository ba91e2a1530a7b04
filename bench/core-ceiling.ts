import { Worker } from 'node:worker_threads';

/**
 * The most two threads can gain on this machine, whatever the code: eight independent
 * multiply–add chains in registers (no memory traffic, no allocation, no garbage), timed on one
 * worker thread alone and on two at once, in alternating rounds. The speed-up is 2 × (one alone)
 * / (the slower of the pair). On a machine whose two vCPUs share a physical core's floating-point
 * units, or whose host schedules other tenants' threads beside them, it stays well under 2, and
 * no batch split can beat it.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
function chains(n) {
  let a = 1.0000001, b = 0.9999999, c = 1.0000002, d = 0.9999998, e = 1, f = 1, g = 1, h = 1;
  for (let i = 0; i < n; i++) {
    a = a * 1.0000001 + 1e-9; b = b * 0.9999999 + 1e-9; c = c * 1.0000001 + 1e-9; d = d * 0.9999999 + 1e-9;
    e = e * 1.0000001 + 1e-9; f = f * 0.9999999 + 1e-9; g = g * 1.0000001 + 1e-9; h = h * 0.9999999 + 1e-9;
  }
  return a + b + c + d + e + f + g + h;
}
chains(1e6);
parentPort.on('message', (n) => {
  const t = performance.now();
  const v = chains(n);
  parentPort.postMessage({ ms: performance.now() - t, v });
});
`;

const ITERATIONS = 4e7;

function timeOn(w: Worker): Promise<number> {
  return new Promise((resolve) => {
    w.once('message', (m: { ms: number }) => resolve(m.ms));
    w.postMessage(ITERATIONS);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Median times of one chain run alone and of two at once (the slower), and the speed-up. */
export async function coreCeiling(rounds: number): Promise<{ alone: number; pair: number; speedup: number; speedups: number[] }> {
  const workers = [new Worker(SOURCE, { eval: true }), new Worker(SOURCE, { eval: true })] as const;
  try {
    await Promise.all(workers.map(timeOn));
    const alone: number[] = [];
    const pair: number[] = [];
    const speedups: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const one = await timeOn(workers[r % 2]!);
      const two = Math.max(...(await Promise.all(workers.map(timeOn))));
      alone.push(one);
      pair.push(two);
      speedups.push((2 * one) / two);
    }
    return { alone: median(alone), pair: median(pair), speedup: (2 * median(alone)) / median(pair), speedups };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await coreCeiling(Number(process.argv[2] ?? 9));
  console.log(JSON.stringify({ ...r, speedups: r.speedups.map((s) => Number(s.toFixed(2))) }));
}
