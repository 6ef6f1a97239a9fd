import type { ModelGraph } from '../graph/build-graph.js';

/**
 * The model config with each layer's `configForSaving` fields merged into its entry (e.g. a
 * vocabulary read from a `.keras` archive's assets), for writers whose format keeps no assets.
 * Returns the config itself when no layer has any; never changes it in place.
 */
export function withConfigForSaving(json: unknown, graph: ModelGraph): unknown {
  const extras = new Map<string, Readonly<Record<string, unknown>>>();
  for (const l of graph.layers) if (l.imported.configForSaving) extras.set(l.spec.name, l.imported.configForSaving);
  if (extras.size === 0) return json;
  const copy = structuredClone(json);
  const stack: unknown[] = [copy];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      const entry = v as { class_name?: unknown; config?: Record<string, unknown> };
      const name = entry.config?.name;
      if (typeof entry.class_name === 'string' && typeof name === 'string' && extras.has(name)) Object.assign(entry.config as object, extras.get(name));
      stack.push(...Object.values(v));
    }
  }
  return copy;
}
