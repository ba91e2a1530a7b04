// WebAssembly relaxed SIMD (f64x2.relaxed_madd) ships on by default from Node 21 and Chrome 114;
// Node 20 has it behind --experimental-wasm-relaxed-simd. The dense kernels use it where the
// engine validates it (kernels/sparse/dense-simd.ts) and keep a multiply and an add otherwise.
// The project's benches and tests turn it on here, so that they run (and time) the fused path a
// current engine takes; the consumer check runs the installed packages on a plain Node 20, the
// unfused path. Set before any module compiles: the engine's answer is probed once, lazily.
import { setFlagsFromString } from 'node:v8';

if (Number(process.versions.node.split('.')[0]) < 21) setFlagsFromString('--experimental-wasm-relaxed-simd');
