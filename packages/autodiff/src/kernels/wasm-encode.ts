// A minimal WebAssembly binary encoder: just what the SIMD kernels use (i32 arithmetic, structured
// control, f64x2 SIMD: gemm-simd.ts here, nodes-amortized's MLP tiles through `wasm` of
// @argmin/autodiff/kernels), so the kernels are written as readable instruction lists in
// TypeScript, with no toolchain and no binary blob in the repository. Opcodes are those of the
// WebAssembly 2.0 specification (core, §5.4; SIMD, the 0xFD prefix).

export type Bytes = readonly number[];

/**
 * Whether the SIMD kernels may compile WebAssembly: not where the page declared it may not
 * (`globalThis.__argmin_wasm = false`, set by `@argmin/viz/strict-csp`): a Content-Security-Policy
 * without 'wasm-unsafe-eval' reports every compilation as a violation even though the kernels then
 * fall back to their scalar paths.
 */
export function wasmAllowed(): boolean {
  return typeof WebAssembly === 'object' && (globalThis as { __argmin_wasm?: boolean }).__argmin_wasm !== false;
}

let relaxed: boolean | null = null;
/**
 * Whether the engine validates relaxed SIMD (f64x2.relaxed_madd): Node ≥ 21, Chrome ≥ 114,
 * Node 20 only with --experimental-wasm-relaxed-simd. Tested once, on a one-function module.
 */
export function relaxedSimd(): boolean {
  if (relaxed === null) {
    const madd = wasmModule(1, [
      { name: 'madd', params: [V128, V128, V128], locals: [], body: [...get(0), ...get(1), ...get(2), ...f64x2RelaxedMadd, 0x1a] },
    ]);
    relaxed = wasmAllowed() && WebAssembly.validate(madd);
  }
  return relaxed;
}

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

const vec = (items: readonly Bytes[]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: Bytes): number[] => [id, ...uleb(body.length), ...body];

export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  /** Locals after the parameters, as [count, type] runs. */
  readonly locals: readonly (readonly [number, number])[];
  readonly body: Bytes;
}

/**
 * A module importing one memory as `env.memory` (`pages` 64 KiB pages; `shared`: a shared memory,
 * which threads instantiate together) and exporting `functions` (no results).
 */
export function wasmModule(pages: number, functions: readonly WasmFunction[], shared = false): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0x00]);
  const memory = [...name('env'), ...name('memory'), 0x02, shared ? 0x03 : 0x01, ...uleb(pages), ...uleb(pages)];
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    const code = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([memory])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

// Instructions.
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
export const i32 = (v: number): number[] => [0x41, ...sleb(v)];
export const f64 = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
export const i32Add = [0x6a];
export const i32Mul = [0x6c];
export const i32Eq = [0x46];
export const i32LtU = [0x49];
export const i32GeU = [0x4f];
/** block / loop with no result, if / else, end, br, br_if (label depth). */
export const block = [0x02, 0x40];
export const loop = [0x03, 0x40];
export const ifThen = [0x04, 0x40];
export const orElse = [0x05];
export const end = [0x0b];
export const br = (depth: number): number[] => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];
/** f64.store at the address on the stack + offset. */
export const f64Store = (offset: number): number[] => [0x39, 0x03, ...uleb(offset)];

const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
/** v128.load / v128.store / v128.load64_splat at the address on the stack + offset (alignment hint 8 bytes). */
export const v128Load = (offset: number): number[] => simd(0x00, 0x03, ...uleb(offset));
export const v128Store = (offset: number): number[] => simd(0x0b, 0x03, ...uleb(offset));
export const load64Splat = (offset: number): number[] => simd(0x0a, 0x03, ...uleb(offset));
export const f64x2Splat = simd(0x14);
export const f64x2ExtractLane = (lane: number): number[] => simd(0x21, lane);
export const f64x2Abs = simd(0xec);
export const f64x2Add = simd(0xf0);
export const f64x2Mul = simd(0xf2);
export const f64x2Div = simd(0xf3);
export const f64x2Min = simd(0xf4);
export const f64x2Max = simd(0xf5);
/** f64x2.relaxed_madd (relaxed SIMD): a·b + c, fused where the machine has FMA (c on top of the stack). */
export const f64x2RelaxedMadd = simd(0x107);
/** f64x2.relaxed_nmadd: −(a·b) + c. */
export const f64x2RelaxedNmadd = simd(0x108);

/** Local indices of an MR×4 f64x2 tile's k loop (see tileKStep). */
export interface TileLocals {
  /** Packed A and B pointers (advanced by the step), and A's end (the loop exits there). */
  readonly ap: number;
  readonly bp: number;
  readonly aend: number;
  /** acc(2r): tile row r's columns 0–1, acc(2r+1): its columns 2–3. */
  readonly acc: (i: number) => number;
  /** B's two column pairs of this k, and the splat of A's entry. */
  readonly b01: number;
  readonly b23: number;
  readonly av: number;
}

/**
 * One k-step of an mr×4 tile product, ending in the loop's back-branch: load B's four entries as
 * two f64x2, then per row splat A's entry and add its products into the row's two accumulators
 * (one IEEE multiply and one add each; with `fma`, one relaxed multiply–add, which the engine
 * fuses where the machine can), advance both panels, loop while ap < aend.
 */
export function tileKStep(l: TileLocals, mr: number, fma = false): number[] {
  const madd = (b: number, a: number): number[] =>
    fma ? [...get(b), ...get(a), ...f64x2RelaxedMadd, ...set(a)] : [...get(b), ...f64x2Mul, ...get(a), ...f64x2Add, ...set(a)];
  return [
    ...[...get(l.bp), ...v128Load(0), ...set(l.b01), ...get(l.bp), ...v128Load(16), ...set(l.b23)],
    ...Array.from({ length: mr }, (_, r) => [
      ...[...get(l.ap), ...load64Splat(8 * r), ...tee(l.av), ...madd(l.b01, l.acc(2 * r))],
      ...[...get(l.av), ...madd(l.b23, l.acc(2 * r + 1))],
    ]).flat(),
    ...[...get(l.bp), ...i32(32), ...i32Add, ...set(l.bp)],
    ...[...get(l.ap), ...i32(8 * mr), ...i32Add, ...tee(l.ap), ...get(l.aend), ...i32LtU, ...brIf(0)],
  ];
}
