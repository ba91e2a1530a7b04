export * from './csc.js';
export * from './ldl.js';
