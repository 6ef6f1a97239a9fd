/**
 * Which models a `kerasrnn serve` command line names: model files, model directories (every
 * format `loadModel` reads), or folders holding several of them (a model repository).
 * @packageDocumentation
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ModelEntry } from './worker-messages.js';

/** Files a model repository serves (a lone .json is an architecture without weights), and the files that make a folder one model. */
const MODEL_FILE = /\.(h5|hdf5|keras)$/i;
const MODEL_DIR_MARKERS = ['saved_model.pb', 'model.json', 'config.json'];

/** A model's name: its file or directory name without the extension. */
export function modelName(path: string): string {
  const base = basename(path.replace(/[\\/]+$/, ''));
  return base.slice(0, base.length - extname(base).length) || base;
}

function isModelDir(dir: string): boolean {
  const names = readdirSync(dir);
  return MODEL_DIR_MARKERS.some((m) => names.includes(m));
}

/**
 * The models to serve. `names[i]` renames the i-th argument (which must then be one model).
 * @throws Error naming the path for a missing path, an empty repository or a duplicate name.
 */
export function resolveModels(paths: string[], names: string[] = []): ModelEntry[] {
  if (names.length > paths.length) throw new Error(`${names.length} --name values for ${paths.length} model arguments`);
  const out: ModelEntry[] = [];
  paths.forEach((path, i) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new Error(`cannot read "${path}": no such file or folder`);
    }
    if (st.isDirectory() && !isModelDir(path)) {
      if (names[i] !== undefined) throw new Error(`--name "${names[i]}" is for one model, but "${path}" is a folder of models`);
      const members = readdirSync(path)
        .filter((f) => MODEL_FILE.test(f) || statSync(join(path, f)).isDirectory())
        .sort();
      if (members.length === 0) throw new Error(`the folder "${path}" holds no model files (.h5, .hdf5, .keras) or model folders`);
      for (const f of members) out.push({ name: modelName(f), path: join(path, f) });
    } else {
      out.push({ name: names[i] ?? modelName(path), path });
    }
  });
  const seen = new Set<string>();
  for (const m of out) {
    if (!/^[\w.-]+$/.test(m.name)) throw new Error(`model name "${m.name}" (from "${m.path}") may hold only letters, digits, "_", "-" and "."; rename it with --name`);
    if (seen.has(m.name)) throw new Error(`two models are named "${m.name}"; give one another name with --name`);
    seen.add(m.name);
  }
  return out;
}
