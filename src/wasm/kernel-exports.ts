/**
 * The TypeScript side of the kernel ABI. It is generated from the compiled module by
 * `scripts/gen-kernel-abi.mjs` (part of `npm run build:wasm`), so the function list, parameter
 * lists, constants and parameter-block layouts (`assembly/param-blocks.ts`) cannot drift from
 * `assembly/`; this module names what the rest of src/ imports.
 * @packageDocumentation
 */
export type {
  KernelExports, ParamBlock, SequenceParams, LstmSequenceParams, GruSequenceParams, SimpleRnnSequenceParams,
} from './kernel-abi.generated.js';
export {
  KERNEL_CONSTANTS, KERNEL_FUNCTIONS, LSTM_SEQUENCE_PARAMS, GRU_SEQUENCE_PARAMS, SIMPLE_RNN_SEQUENCE_PARAMS,
} from './kernel-abi.generated.js';
