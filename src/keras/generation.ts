/**
 * Which Keras wrote a file. Version-dependent behaviour (field names, weight layouts,
 * `hard_sigmoid`, Bidirectional masking) is decided from this, in `src/keras/` only.
 */
export interface KerasGeneration {
  /** 1 for Keras 1.x, 2 for Keras 2.x and tf.keras, 3 for Keras 3. */
  readonly major: 1 | 2 | 3;
  /** The version string the file states (`"2.1.3"`, `"2.4.0"`, `"3.10.0"`), or a guess. */
  readonly version: string;
  /** True when the version was inferred from the config's shape, not stated in the file. */
  readonly inferred: boolean;
  /** `tensorflow`, `theano`, ... when the file says (or, for Keras 1, its weight names tell). */
  readonly backend?: string;
  /** True when `backend` was inferred from the weight names (Keras 1 files never state it). */
  readonly backendInferred?: boolean;
  /**
   * `'tfjs'` for a TensorFlow.js layers model (`model.json`): it computes what tfjs-layers
   * computes for it, whichever Keras wrote the config (see `semantics.ts` and docs/tfjs.md).
   */
  readonly runtime?: 'tfjs';
}

/** Parses a `keras_version` string (e.g. `2.1.3`, `2.4.0-tf`, `3.10.0`) into a generation. */
export function generationFromVersion(version: string, backend?: string): KerasGeneration | null {
  const m = /^\s*(\d+)\./.exec(version);
  if (!m) return null;
  const n = Number(m[1]);
  const major = n <= 1 ? 1 : n === 2 ? 2 : 3;
  return { major, version, inferred: false, backend };
}

/**
 * Infers the generation from the config itself when the file states none (JSON configs written by
 * hand or by old tools): Keras 3 configs carry `module` / `registered_name`, Keras 1 layers use
 * `output_dim` / `inner_activation` / `consume_less` and a bare list as Sequential config.
 */
export function inferGeneration(config: unknown): KerasGeneration {
  const text = JSON.stringify(config) ?? '';
  if (/"registered_name"\s*:/.test(text) || /"module"\s*:\s*"keras/.test(text) || /"batch_shape"\s*:/.test(text)) {
    return { major: 3, version: '3', inferred: true };
  }
  const c = config as { config?: unknown } | null;
  if (
    (c && Array.isArray(c.config)) ||
    /"(inner_activation|consume_less|W_regularizer|dropout_W|init|border_mode|nb_filter)"\s*:/.test(text)
  ) {
    return { major: 1, version: '1', inferred: true };
  }
  return { major: 2, version: '2', inferred: true };
}

/**
 * The generation of a TF.js layers model: the converting Keras' version decides how the config
 * is spelled (a Keras 3 config keeps Keras 3 field names); `tfjs-layers x.y` (a model saved by
 * TF.js itself) spells it as Keras 2 does. Either way the model runs as TF.js runs it.
 */
export function tfjsGeneration(config: unknown, version: string | undefined, backend: string | undefined): KerasGeneration {
  if (version && /^\s*tfjs-layers\b/i.test(version)) return { major: 2, version, inferred: false, backend, runtime: 'tfjs' };
  const stated = version ? generationFromVersion(version, backend) : null;
  return { ...(stated ?? { ...inferGeneration(config), backend }), runtime: 'tfjs' };
}
