"""Prints the layout of a Keras weights file as h5py sees it, as JSON on stdout.

Used by test/saving/save-model.test.js to compare files kerasrnn writes with real Keras files of
the same kind: an independent HDF5 reader (h5py over the HDF5 C library), not kerasrnn's.

usage: h5_layout.py FILE.h5|FILE.keras [--skip PREFIX ...]
Each object: path -> {"kind": "group"|"dataset", "shape", "dtype", "attrs": {name: type}} where an
attribute type is "vlen-str/<charset>[shape]", "fixed-str[shape]" or the numpy dtype; datasets'
values are not printed (their sums are, to check the weights' order).
"""
import io
import json
import sys
import zipfile

import h5py
import numpy as np


def attr_type(obj, name):
    aid = obj.attrs.get_id(name)
    t = aid.get_type()
    if isinstance(t, h5py.h5t.TypeStringID):
        kind = "vlen-str/%s" % ("utf8" if t.get_cset() == 1 else "ascii") if t.is_variable_str() else "fixed-str"
    else:
        kind = str(aid.dtype)
    return "%s%s" % (kind, list(aid.shape))


def main():
    path = sys.argv[1]
    skip = sys.argv[sys.argv.index("--skip") + 1:] if "--skip" in sys.argv else []
    if path.endswith(".keras"):
        z = zipfile.ZipFile(path)
        f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        members = [i.filename for i in z.infolist()]
        methods = sorted({i.compress_type for i in z.infolist()})
    else:
        f = h5py.File(path, "r")
        members, methods = None, None
    out = {"/": {"kind": "group", "attrs": {k: attr_type(f, k) for k in f.attrs}}}

    def visit(name, obj):
        if any(name == s or name.startswith(s + "/") for s in skip):
            return
        entry = {"attrs": {k: attr_type(obj, k) for k in obj.attrs}}
        if isinstance(obj, h5py.Dataset):
            entry.update(kind="dataset", shape=list(obj.shape), dtype=str(obj.dtype),
                         sum=float(np.asarray(obj[()], dtype=np.float64).sum()) if obj.size else 0.0)
        else:
            entry.update(kind="group", members=sorted(obj.keys()))
        out[name] = entry

    f.visititems(visit)
    json.dump({"objects": out, "zip_members": members, "zip_methods": methods}, sys.stdout)


if __name__ == "__main__":
    main()
