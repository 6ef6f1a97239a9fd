import { InvalidKerasConfigurationError } from '../errors.js';
import type { H5Dataset, H5Group } from '../formats/h5.js';

/**
 * `model.weights.h5` written on Windows by tf.keras 2.13-2.15: saving_lib created each layer's
 * group with an `os.path.join`ed path (`_layer_checkpoint_dependencies\lstm`), which HDF5 keeps
 * as one member name of the root instead of a nested path. This view presents such names as the
 * nested groups they stand for, so the file binds as one written with `/`.
 */
export function hasBackslashNames(root: H5Group): boolean {
  return root.keys().some((k) => k.includes('\\'));
}

interface Node {
  real?: H5Group;
  children: Map<string, Node>;
}

/** The root with every backslash-joined member name split into nested groups. */
export function backslashGroupView(root: H5Group): H5Group {
  const top: Node = { real: root, children: new Map() };
  for (const key of root.keys()) {
    if (!key.includes('\\') || !root.isGroup(key)) continue;
    let node = top;
    for (const part of key.split('\\').filter((p) => p.length > 0)) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = { children: new Map() }));
      node = next;
    }
    node.real = root.group(key);
  }
  const view = (node: Node, path: string): H5Group => {
    const realKeys = (): string[] => (node.real ? node.real.keys().filter((k) => node !== top || !k.includes('\\')) : []);
    const missing = (name: string): never => {
      throw new InvalidKerasConfigurationError('no such group or dataset', { file: root.fileName, field: `${path}${name}` });
    };
    return {
      path: path || '/',
      fileName: root.fileName,
      keys: () => [...new Set([...realKeys(), ...node.children.keys()])],
      has: (name) => node.children.has(name) || (node.real?.has(name) ?? false),
      isGroup: (name) => node.children.has(name) || (node.real?.isGroup(name) ?? false),
      group: (name) => {
        const child = node.children.get(name);
        if (child) return view(child, `${path}${name}/`);
        return node.real ? node.real.group(name) : missing(name);
      },
      dataset: (name): H5Dataset => (node.real ? node.real.dataset(name) : missing(name)),
      attrNames: () => node.real?.attrNames() ?? [],
      attr: (name) => node.real?.attr(name),
      stringList: (name) => node.real?.stringList(name),
      requireAttr: (name) => (node.real ? node.real.requireAttr(name) : missing(`@${name}`)),
    };
  };
  return view(top, '');
}
