// Writes examples/sine_request.json: examples/sine_input.npy (2 sine windows, shape [2, 50, 1]) as
// an Open Inference Protocol request for `kerasrnn serve` (the README's curl example).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseNpy } from '../dist/index.js';

const x = parseNpy(new Uint8Array(readFileSync(new URL('../examples/sine_input.npy', import.meta.url))));
const request = { id: 'sine-1', inputs: [{ name: 'lstm_input', shape: x.shape, datatype: 'FP32', data: Array.from(x.data) }] };
writeFileSync(new URL('../examples/sine_request.json', import.meta.url), `${JSON.stringify(request)}\n`);
