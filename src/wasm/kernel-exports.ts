/**
 * The TypeScript side of the kernel ABI. It is generated from the compiled module by
 * `scripts/gen-kernel-abi.mjs` (part of `npm run build:wasm`), so the function list, parameter
 * lists, constants and parameter-block layouts (`assembly/param-blocks.ts`: an interface and a
 * `ParamBlock` writer per block) cannot drift from `assembly/`; this module names what the rest
 * of src/ imports.
 * @packageDocumentation
 */
export * from './kernel-abi.generated.js';
