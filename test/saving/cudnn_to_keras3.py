"""Checks a .keras archive kerasrnn wrote for a CuDNNLSTM / CuDNNGRU model against the source .h5.

Keras 3 has no CuDNN layers; the archive holds them as LSTM / GRU(reset_after=True). The expected
arrays are computed here as Keras' own converter does (`_convert_rnn_weights` of Keras 2.2 /
tf.keras `hdf5_format.py`, written out in NumPy): per gate block, input kernel k ->
k.T.reshape(k.shape, order='F'), recurrent kernel k -> k.T; CuDNNLSTM bias halves summed, CuDNNGRU
bias reshaped to (2, 3 * units). Independent of kerasrnn's conversion (wasm kernels).

usage: cudnn_to_keras3.py SOURCE.h5 SAVED.keras
Prints JSON: {layer: {"class": ..., "max_abs_diff": ..., "shapes": [...]}}.
"""
import io
import json
import sys
import zipfile

import h5py
import numpy as np


def convert(weights, gates, lstm):
    def blocks(k, f):
        return np.hstack([f(b) for b in np.hsplit(k, gates)])

    kernel = blocks(weights[0], lambda k: k.T.reshape(k.shape, order="F"))
    recurrent = blocks(weights[1], lambda k: k.T)
    bias = np.sum(np.split(weights[2], 2, axis=0), axis=0) if lstm else weights[2].reshape((2, -1))
    return [kernel, recurrent, bias]


def main():
    src, saved = sys.argv[1], sys.argv[2]
    h = h5py.File(src, "r")
    config = json.loads(h.attrs["model_config"])
    z = zipfile.ZipFile(saved)
    out_config = json.loads(z.read("config.json"))
    w = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    result = {}
    keys = {}
    source_layers = config["config"]["layers"] if isinstance(config["config"], dict) else config["config"]
    for layer, saved_layer in zip([l for l in source_layers if l["class_name"] != "InputLayer"],
                                  [l for l in out_config["config"]["layers"] if l["class_name"] != "InputLayer"]):
        cls = layer["class_name"]
        plain = {"CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU"}.get(cls, cls)
        base = {"LSTM": "lstm", "GRU": "gru", "Dense": "dense"}[plain]
        keys[base] = keys.get(base, -1) + 1
        key = base if keys[base] == 0 else "%s_%d" % (base, keys[base])
        name = layer["config"]["name"]
        g = h["model_weights"][name]
        stored = [np.asarray(g[n]) for n in [x.decode() if isinstance(x, bytes) else x for x in g.attrs["weight_names"]]]
        if cls in ("CuDNNLSTM", "CuDNNGRU"):
            expected = convert(stored, 4 if cls == "CuDNNLSTM" else 3, cls == "CuDNNLSTM")
            vars_ = w["layers"][key]["cell"]["vars"]
        else:
            expected = stored
            vars_ = w["layers"][key]["vars"]
        got = [np.asarray(vars_[str(i)]) for i in range(len(expected))]
        result[name] = {
            "class": saved_layer["class_name"],
            "config": {k: saved_layer["config"].get(k) for k in ("activation", "recurrent_activation", "reset_after", "use_bias")},
            "shapes": [list(a.shape) for a in got],
            "max_abs_diff": max(float(np.max(np.abs(a - b))) if a.shape == b.shape else float("inf") for a, b in zip(got, expected)),
        }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
