import type { WorkerReply } from './protocol.js';

/**
 * Replies travel through a shared "mailbox" per worker, not through messages: the caller is
 * blocked in Atomics.wait and runs no event loop, and a browser has no synchronous receive.
 * The worker writes the reply (JSON, with ±∞ and NaN kept) into the mailbox and raises its
 * signal; a reply longer than the mailbox goes in chunks, each acknowledged by the caller.
 * The same code runs in Node and in browsers.
 */

const HEADER = 16;
const CHUNK = 0;
const TOTAL = 1;
const ACK = 2;

/** Added to a worker's signal when its thread exits, so a caller blocked on it wakes and fails. */
export const WORKER_EXITED = 1 << 30;

export function createMailbox(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + Math.max(64, bytes));
}

export function encodeReply(reply: WorkerReply): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(reply, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $n: String(v) } : v)));
}

export function decodeReply(bytes: Uint8Array): WorkerReply {
  return JSON.parse(new TextDecoder().decode(bytes), (_k, v) =>
    v !== null && typeof v === 'object' && typeof v.$n === 'string' && Object.keys(v).length === 1 ? Number(v.$n) : v,
  ) as WorkerReply;
}

/** Worker side: writes `reply` to its mailbox, chunk by chunk, raising `signal[index]` for each. */
export function sendReply(box: SharedArrayBuffer, signal: Int32Array, index: number, reply: WorkerReply): void {
  const bytes = encodeReply(reply);
  const head = new Int32Array(box, 0, HEADER / 4);
  const data = new Uint8Array(box, HEADER);
  for (let offset = 0; ; ) {
    const n = Math.min(data.length, bytes.length - offset);
    data.set(bytes.subarray(offset, offset + n));
    Atomics.store(head, CHUNK, n);
    Atomics.store(head, TOTAL, bytes.length);
    const ack = Atomics.load(head, ACK);
    Atomics.add(signal, index, 1);
    Atomics.notify(signal, index);
    offset += n;
    if (offset >= bytes.length) return;
    // Wait until the caller has read this chunk (a worker may block).
    while (Atomics.load(head, ACK) === ack) Atomics.wait(head, ACK, ack);
  }
}

/** Caller side: blocks until worker w's next reply is complete and returns it. */
export function takeReply(box: SharedArrayBuffer, signal: Int32Array, seen: Int32Array, w: number): WorkerReply {
  const head = new Int32Array(box, 0, HEADER / 4);
  const data = new Uint8Array(box, HEADER);
  const parts: Uint8Array[] = [];
  let got = 0;
  let total = 0;
  do {
    const expected = ++seen[w]!;
    for (let v = Atomics.load(signal, w); v < expected; v = Atomics.load(signal, w)) Atomics.wait(signal, w, v);
    if (Atomics.load(signal, w) >= WORKER_EXITED) throw new Error(`worker ${w} exited`);
    const n = Atomics.load(head, CHUNK);
    total = Atomics.load(head, TOTAL);
    parts.push(data.slice(0, n));
    got += n;
    if (got < total) {
      Atomics.add(head, ACK, 1);
      Atomics.notify(head, ACK);
    }
  } while (got < total);
  if (parts.length === 1) return decodeReply(parts[0]!);
  const all = new Uint8Array(total);
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return decodeReply(all);
}

/** Resolves when `signal[w]` differs from `value`, without blocking (for start-up, which needs the event loop). */
export async function signalChanged(signal: Int32Array, w: number, value: number): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number) => { value: Promise<string> | string } })
    .waitAsync;
  while (Atomics.load(signal, w) === value) {
    if (waitAsync) await waitAsync(signal, w, value).value;
    else await new Promise((r) => setTimeout(r, 5));
  }
}
