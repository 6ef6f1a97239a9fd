// Entry point of the threads build (asconfig target `threads`: shared imported memory, atomics):
// every kernel of the plain build, plus the kernels that split one sequence over threads sharing
// that memory. The plain build (index.ts) never contains atomics, so it loads where
// SharedArrayBuffer does not exist.
export * from './index';
export { lstmSequenceParallel } from './lstm-sequence-parallel';
export { gruSequenceParallel } from './gru-sequence-parallel';
export { TEAM_BYTES } from './parallel-common';
