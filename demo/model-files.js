// What the page hands to loadModel for the files a user chose or dropped. A model comes in one of
// these forms, told apart by the files themselves:
//   - one .h5 / .hdf5 / .keras file                       -> the File
//   - a Keras JSON config (to_json) with its weights .h5   -> { config: text, weights: File }
//   - a JSON config alone                                  -> { config: text } (architecture only)
//   - a TF.js model.json with its weight shards            -> the File[] (each with its path)
//   - a SavedModel folder (saved_model.pb, variables/)     -> the File[] (each with webkitRelativePath)
//   - a .zip (a zipped SavedModel folder)                  -> the File (its bytes)

/** Lower-case extension of a file name, with the dot. */
const ext = (name) => (/\.[^./]+$/.exec(name)?.[0] ?? '').toLowerCase();

/** The path of a file inside what was dropped or picked (folder picker and folder drops set it). */
export const pathOf = (file) => file.webkitRelativePath || file.name;

/**
 * Every file below a dropped folder entry, each carrying its path as webkitRelativePath (Chromium
 * leaves it empty for dropped files; the folder picker sets it, and loaders read it).
 */
async function filesOfEntry(entry, prefix = '') {
  if (!entry.isDirectory) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    Object.defineProperty(file, 'webkitRelativePath', { value: `${prefix}${entry.name}` });
    return [file];
  }
  const reader = entry.createReader();
  const entries = [];
  // readEntries returns the listing in chunks until an empty one.
  for (;;) {
    const chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!chunk.length) break;
    entries.push(...chunk);
  }
  const nested = await Promise.all(entries.map((e) => filesOfEntry(e, `${prefix}${entry.name}/`)));
  return nested.flat();
}

/** The files of a drop, folders walked (falls back to the plain file list). */
export async function droppedFiles(dataTransfer) {
  const items = Array.from(dataTransfer?.items ?? []).filter((i) => i.kind === undefined || i.kind === 'file');
  const entries = items.map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (entries.length && entries.some((e) => e.isDirectory)) return (await Promise.all(entries.map((e) => filesOfEntry(e)))).flat();
  return Array.from(dataTransfer?.files ?? []);
}

/** A user-facing problem with the chosen files (shown next to the model chooser). */
export class FileChoiceError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FileChoiceError';
  }
}

async function readJson(file) {
  const text = await file.text();
  try {
    return { text, json: JSON.parse(text) };
  } catch (e) {
    throw new FileChoiceError(`${file.name} is not valid JSON (${e.message})`);
  }
}

/**
 * The loadModel source for a set of files, and a name for the status line. Throws a
 * FileChoiceError saying what to give when the set is not one of the forms above.
 */
export async function modelSourceFor(files) {
  const list = Array.from(files).filter((f) => !/(^|\/)\.[^/]*$/.test(pathOf(f))); // no .DS_Store & co
  if (!list.length) throw new FileChoiceError('no files were given');
  const folder = pathOf(list[0]).includes('/') ? pathOf(list[0]).split('/')[0] : null;
  const savedModel = list.find((f) => /(^|\/)saved_model\.(pb|pbtxt)$/.test(pathOf(f)));
  if (savedModel) {
    // What a SavedModel folder holds: its .pb files, variables/ and assets/ (a folder a model was
    // saved into may hold other files too, e.g. a JSON that is not a model).
    const root = pathOf(savedModel).slice(0, pathOf(savedModel).lastIndexOf('/') + 1);
    const own = list.filter((f) => {
      const rest = pathOf(f).startsWith(root) ? pathOf(f).slice(root.length) : null;
      return rest !== null && (/^[^/]+\.pb(txt)?$/.test(rest) || /^(variables|assets)\//.test(rest));
    });
    return { source: own, name: `${folder ?? 'SavedModel'}/ (SavedModel, ${own.length} files)`, kind: 'savedmodel' };
  }
  if (list.length === 1) {
    const [f] = list;
    if (['.h5', '.hdf5', '.keras', '.zip'].includes(ext(f.name))) return { source: f, name: f.name, kind: ext(f.name) === '.zip' ? 'zip' : 'file' };
  }
  const jsons = list.filter((f) => ext(f.name) === '.json');
  const weights = list.filter((f) => ['.h5', '.hdf5'].includes(ext(f.name)));
  if (jsons.length >= 1) {
    const parsed = await Promise.all(jsons.map(async (f) => ({ file: f, ...(await readJson(f)) })));
    const tfjs = parsed.find((p) => p.json && typeof p.json === 'object' && ('modelTopology' in p.json || 'weightsManifest' in p.json));
    if (tfjs) {
      // model.json and the shards its manifest names (a folder may hold other files too).
      const wanted = new Set((tfjs.json.weightsManifest ?? []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths : [])).map((p) => String(p).split('/').pop()));
      const shards = list.filter((f) => f !== tfjs.file && wanted.has(f.name));
      return { source: [tfjs.file, ...shards], name: `${tfjs.file.name} (TF.js, ${shards.length} weight file${shards.length === 1 ? '' : 's'})`, kind: 'tfjs' };
    }
    const configs = parsed.filter((p) => p.json && typeof p.json === 'object' && 'class_name' in p.json);
    if (configs.length === 1 && weights.length <= 1 && list.length === 1 + weights.length) {
      const [c] = configs;
      if (!weights.length) return { source: { config: c.text }, name: `${c.file.name} (architecture only)`, kind: 'config', fileName: c.file.name };
      return { source: { config: c.text, weights: weights[0] }, name: `${c.file.name} + ${weights[0].name}`, kind: 'pair', fileName: c.file.name };
    }
  }
  if (list.length === 1) {
    const [f] = list;
    // Unknown extension: let loadModel look at the bytes (it names what it expected).
    if (ext(f.name) !== '.json') return { source: f, name: f.name, kind: 'file' };
    throw new FileChoiceError(`${f.name} is neither a Keras config (model.to_json()) nor a TF.js model.json`);
  }
  throw new FileChoiceError(
    `${list.length} files were given (${list.slice(0, 4).map((f) => f.name).join(', ')}${list.length > 4 ? ', ...' : ''}): give one .h5 / .keras file, ` +
      'a JSON config with its weights .h5, a TF.js model.json with its weight files, or a SavedModel folder (or its .zip)',
  );
}
