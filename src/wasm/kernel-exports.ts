/**
 * The TypeScript side of the kernel ABI. It is generated from the compiled module by
 * `scripts/gen-kernel-abi.mjs` (part of `npm run build:wasm`), so the function list, parameter
 * lists and constants cannot drift from `assembly/`; this module names what the rest of src/
 * imports.
 * @packageDocumentation
 */
export type { KernelExports } from './kernel-abi.generated.js';
export { KERNEL_CONSTANTS, KERNEL_FUNCTIONS } from './kernel-abi.generated.js';
