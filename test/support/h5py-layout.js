// The layout of an HDF5 weights file (or the model.weights.h5 inside a .keras) as h5py sees it,
// through test/saving/h5_layout.py: an HDF5 reader independent of kerasrnn's. `hasH5py` is false
// where /usr/bin/python3 has no h5py (tests then print a skipped line).
import { execFileSync } from 'node:child_process';

const PY = '/usr/bin/python3';
const LAYOUT = new URL('../saving/h5_layout.py', import.meta.url).pathname;

export const hasH5py = (() => {
  try {
    execFileSync(PY, ['-c', 'import h5py'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** h5_layout.py's JSON for `path`, leaving out the objects under the `skip` prefixes. */
export function h5Layout(path, skip = []) {
  return JSON.parse(execFileSync(PY, [LAYOUT, path, ...(skip.length ? ['--skip', ...skip] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 }));
}
