"""Writes the benchmark's Keras models (tf.keras 2.4 .h5, as Keras writes them) and their raw weights.

Run by bench/run.mjs with /usr/bin/python3 (numpy + h5py, Debian's python3-numpy / python3-h5py);
reads a JSON list of model specs on stdin:
  {"id", "kind": "lstm"|"gru"|"simple_rnn", "units", "features", "steps",
   "arch": "single"|"stacked"|"bidirectional", "return_sequences": bool, "units2"?: int,
   "reset_after"?: bool (GRU, arch single only; bench/low-precision.mjs)}
and writes, per spec, into the folder given as argv[1]:
  <id>.h5           the Keras model (Sequential, batch_input_shape [None, steps, features])
  <id>.weights.bin  every weight array, float32 little-endian, Keras layout, in model order
  <id>.weights.json [{"layer", "name", "shape", "offset"}] (offset in floats)
The JavaScript peers (TF.js, ONNX Runtime, the scalar floor) build their networks from the .bin, so
none of them depends on kerasrnn's own HDF5 reader.

Every weight comes from numpy's seeded generator, so the files are identical on every run.
GRUs use reset_after=False (standalone Keras 2 semantics): TF.js' GRU supports only that form,
unless a spec asks for reset_after (then the bias is (2, 3 * units): input and recurrent rows).
"""

import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
import keras_h5 as K  # noqa: E402

GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1}
CLASS = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}


def rnn_weights(rng, kind, n_in, units):
    """Glorot-uniform kernel, orthogonal-scale recurrent kernel, small biases (forget gate +1 as
    unit_forget_bias gives): values of a trained network's size, so no gate is saturated."""
    g = GATES[kind]
    lim = np.sqrt(6.0 / (n_in + g * units))
    kernel = rng.uniform(-lim, lim, (n_in, g * units))
    recurrent = rng.standard_normal((units, g * units)) / np.sqrt(units)
    bias = rng.uniform(-0.1, 0.1, (g * units,))
    if kind == "lstm":
        bias[units:2 * units] += 1.0
    return [kernel.astype(np.float32), recurrent.astype(np.float32), bias.astype(np.float32)]


def rnn_layer(gen, kind, units, w, reset_after=False, **kw):
    extra = {"reset_after": reset_after} if kind == "gru" else {}
    return gen.rnn(CLASS[kind], units, *w, recurrent_activation="sigmoid", **extra, **kw)


def build(spec):
    rng = np.random.default_rng(zlib.crc32(spec["id"].encode()))
    kind, U, F, T = spec["kind"], spec["units"], spec["features"], spec["steps"]
    rs = bool(spec["return_sequences"])
    g = K.TFKeras()
    bis = [None, T, F]
    arrays = []  # (layer, name, array) in model order
    if spec["arch"] == "single":
        w = rnn_weights(rng, kind, F, U)
        reset_after = kind == "gru" and bool(spec.get("reset_after", False))
        if reset_after:
            w[2] = np.stack([w[2], rng.uniform(-0.1, 0.1, w[2].shape).astype(np.float32)])
        layer = rnn_layer(g, kind, U, w, reset_after, return_sequences=rs, batch_input_shape=bis)
        layers = [layer]
        arrays += [(layer.name, n, a) for n, a in zip(("kernel", "recurrent_kernel", "bias"), w)]
    elif spec["arch"] == "stacked":
        U2 = spec.get("units2", U)
        w1, w2 = rnn_weights(rng, kind, F, U), rnn_weights(rng, kind, U, U2)
        l1 = rnn_layer(g, kind, U, w1, return_sequences=True, batch_input_shape=bis)
        l2 = rnn_layer(g, kind, U2, w2, return_sequences=rs)
        layers = [l1, l2]
        for layer, w in ((l1, w1), (l2, w2)):
            arrays += [(layer.name, n, a) for n, a in zip(("kernel", "recurrent_kernel", "bias"), w)]
    elif spec["arch"] == "bidirectional":
        fw, bw = rnn_weights(rng, kind, F, U), rnn_weights(rng, kind, F, U)
        extra = {"reset_after": False} if kind == "gru" else {}
        layer = g.bidirectional(CLASS[kind], U, fw, bw, merge_mode="concat", batch_input_shape=bis,
                                return_sequences=rs, recurrent_activation="sigmoid", **extra)
        layers = [layer]
        for d, w in (("forward", fw), ("backward", bw)):
            arrays += [(layer.name, d + "/" + n, a) for n, a in zip(("kernel", "recurrent_kernel", "bias"), w)]
    else:
        raise ValueError(spec["arch"])
    return g.sequential(layers), arrays


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for spec in json.load(sys.stdin):
        model, arrays = build(spec)
        base = os.path.join(out, spec["id"])
        model.gen.write_model(base + ".h5.tmp", model)
        manifest, offset = [], 0
        with open(base + ".weights.bin", "wb") as f:
            for layer, name, a in arrays:
                a = np.ascontiguousarray(a, dtype="<f4")
                f.write(a.tobytes())
                manifest.append({"layer": layer, "name": name, "shape": list(a.shape), "offset": offset})
                offset += a.size
        with open(base + ".weights.json", "w") as f:
            json.dump(manifest, f)
        os.replace(base + ".h5.tmp", base + ".h5")  # the .h5 appears last: its presence means "complete"


if __name__ == "__main__":
    main()
