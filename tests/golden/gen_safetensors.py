#!/usr/bin/python3
"""Golden data for tests/test_safetensors.c.

Run with Debian's interpreter from the repository root:  /usr/bin/python3 tests/golden/gen_safetensors.py
It rewrites tests/golden/safetensors/. The `safetensors` package is not installed here, so the
files are written byte by byte with json + struct exactly as the format specifies
(https://huggingface.co/docs/safetensors): 8 bytes little-endian header length N, N bytes of UTF-8
JSON, then the tensors' little-endian row-major bytes. The expected tensors are saved as .npy.

- mixed.safetensors: written the way other tools write: json.dumps with its default spacing and
  ASCII escapes (\\u00fc, surrogate pairs), names in no sorted order, "__metadata__" between two
  tensors, the data laid out in a different order than the header lists the tensors; a 0-d tensor,
  an empty tensor and two that share an offset, every dtype einc supports, NaN and infinities.
- reference.safetensors: exactly what the reference implementation (safetensors' Rust
  `serialize`, which `save_file` calls) writes: tensors sorted by dtype (I64, F64, F32, I32, BOOL;
  descending order of its Dtype enum) then by name, compact JSON with "__metadata__" first, raw
  UTF-8, padded with spaces to a multiple of 8 bytes. einc's writer must reproduce it byte for byte.
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")

ST_DTYPE = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64",
            np.dtype("int32"): "I32", np.dtype("bool"): "BOOL"}
# position in the reference implementation's Dtype enum (BOOL < ... < I32 < U32 < F32 < F64 < I64)
RANK = {"BOOL": 0, "I32": 1, "F32": 2, "F64": 3, "I64": 4}


def write(path, tensors, metadata=None, metadata_at=0, header_order=None, data_order=None, compact=False,
          ensure_ascii=True):
    header_order = header_order or list(tensors)
    data_order = data_order or header_order
    offsets, blobs, pos = {}, [], 0
    for name in data_order:
        arr = tensors[name]
        blob = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        offsets[name] = [pos, pos + len(blob)]
        blobs.append(blob)
        pos += len(blob)
    header = {}
    for i, name in enumerate(header_order):
        if metadata is not None and i == metadata_at:
            header["__metadata__"] = metadata
        arr = tensors[name]
        header[name] = {"dtype": ST_DTYPE[arr.dtype], "shape": list(arr.shape), "data_offsets": offsets[name]}
    if metadata is not None and metadata_at >= len(header_order):
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":") if compact else None, ensure_ascii=ensure_ascii)
    raw = text.encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def save_npy(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), arr, allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    # ---- mixed.safetensors ----
    mixed = {
        "zeta.weight": (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1),
        "alpha": np.array([np.pi, -0.0, np.nan, -np.inf], dtype=np.float64),
        "scalar": np.array(3.25, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "idx": np.array([-1, 2**40, 7], dtype=np.int64),
        "i32": np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32),
        "mask": np.array([True, False, True, True, False]),
        "layer.\u00fc/\u540d": np.array([1.5], dtype=np.float32),
        "none": np.zeros((2, 0), dtype=np.int64),
    }
    metadata = {"format": "pt", "note": "quotes \" and \\ and \u00fcn\u00efcode \U0001F600", "empty": ""}
    header_order = ["zeta.weight", "alpha", "scalar", "empty", "idx", "i32", "mask", "layer.\u00fc/\u540d", "none"]
    data_order = ["mask", "none", "empty", "idx", "layer.\u00fc/\u540d", "zeta.weight", "i32", "scalar", "alpha"]
    write(os.path.join(OUT, "mixed.safetensors"), mixed, metadata, metadata_at=2, header_order=header_order,
          data_order=data_order)
    npy_names = {"zeta.weight": "zeta_weight", "layer.\u00fc/\u540d": "layer_unicode"}
    for name, arr in mixed.items():
        save_npy("mixed_" + npy_names.get(name, name), arr)

    # ---- reference.safetensors ----
    ref = {
        "b.bias": np.array([0.25, -1.5, 3.0], dtype=np.float32),
        "a.weight": (np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5),
        "steps": np.array(1000, dtype=np.int64),
        "flags": np.array([True, False, True]),
        "d": np.array([1e-300, -2.0], dtype=np.float64),
        "count": np.array([7], dtype=np.int32),
        "\u00e9t\u00e9": np.array([[1.0]], dtype=np.float32),
    }
    order = sorted(ref, key=lambda n: (-RANK[ST_DTYPE[ref[n].dtype]], n.encode("utf-8")))
    write(os.path.join(OUT, "reference.safetensors"), ref, {"format": "pt"}, metadata_at=0, header_order=order,
          compact=True, ensure_ascii=False)
    for i, name in enumerate(ref):  # the C test inserts them in this (unsorted) order
        save_npy("reference_%d" % i, ref[name])


if __name__ == "__main__":
    main()
