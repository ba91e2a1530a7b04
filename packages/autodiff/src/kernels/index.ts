/**
 * Raw Float64Array kernels (row-major, batched over leading dims), public for node authors who
 * write fast `solve` and `vjp` implementations. They allocate their outputs unless documented
 * otherwise and never write into their inputs.
 */
export * from './blas.js';
export * from './factor.js';
export * from './krylov.js';
export { broadcastShapes, broadcastOffsets, broadcastsTo } from './broadcast.js';
export * from './sparse/index.js';
export { symmetricEigen, type SymmetricEigen } from './eigen.js';
/** The minimal WebAssembly encoder the SIMD kernels are written with (also nodes-amortized's MLP tiles). */
export * as wasm from './wasm-encode.js';
