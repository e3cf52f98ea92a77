#!/usr/bin/python3
"""Golden .npy files for tests/test_npy.c, written by numpy itself.

Run with Debian's interpreter (numpy 1.24 is installed there):

    /usr/bin/python3 tests/golden/gen_npy.py

Values follow formulas the C test recomputes from the row-major element index i:
    f4, f8: (i - 2) * 0.75        i8: (i - 2) * 3000000019
    i4:     (i - 2) * 70001       b1: i % 3 == 0
Files whose name starts with "le_", "scalar_", "empty_", "vec_", "special_", "dims16_" or "hdr_"
are numpy's own bytes for a C-order little-endian array, so einc must write them back byte for
byte (numpy's header for a given dtype and shape is deterministic). Every other loadable file
holds the same array as the "le_" file named in its comment, in another layout or version.
Files starting with "bad_" are valid numpy files einc must reject (unsupported dtype or rank).
"""
import io
import os

import numpy as np
from numpy.lib import format as npf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")


def values(dtype, shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    kind = np.dtype(dtype).kind
    if kind == "f":
        v = (i - 2) * 0.75
    elif kind == "b":
        v = i % 3 == 0
    elif np.dtype(dtype).itemsize == 8:
        v = (i - 2) * 3000000019
    else:
        v = (i - 2) * 70001
    return v.astype(dtype).reshape(shape)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a, allow_pickle=False)


def write_version(name, a, version):
    with open(os.path.join(OUT, name + ".npy"), "wb") as f:
        npf.write_array(f, a, version=version, allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".npy"):
            os.remove(os.path.join(OUT, old))

    # every dtype, C order, little-endian, version 1.0
    for code in ["f4", "f8", "i8", "i4", "b1"]:
        dt = "|b1" if code == "b1" else "<" + code
        save("le_" + code, values(dt, (2, 3)))
    save("le_f8_3d", values("<f8", (2, 3, 4)))
    save("le_i8_3d", values("<i8", (2, 3, 4)))

    # big-endian: same arrays as le_<code>
    for code in ["f4", "f8", "i8", "i4"]:
        save("be_" + code, values(">" + code, (2, 3)))

    # fortran_order True: fortran_f4 ~ le_f4, fortran_i8_3d ~ le_i8_3d, fortran_be_f8_3d ~ le_f8_3d
    save("fortran_f4", np.asfortranarray(values("<f4", (2, 3))))
    save("fortran_i8_3d", np.asfortranarray(values("<i8", (2, 3, 4))))
    save("fortran_be_f8_3d", np.asfortranarray(values(">f8", (2, 3, 4))))

    # format versions 2.0 and 3.0 written on request: v2_f4 ~ le_f4, v2_i8 ~ le_i8,
    # v3_f4 ~ le_f4, v3_b1 ~ le_b1
    write_version("v2_f4", values("<f4", (2, 3)), (2, 0))
    write_version("v2_i8", values("<i8", (2, 3)), (2, 0))
    write_version("v3_f4", values("<f4", (2, 3)), (3, 0))
    write_version("v3_b1", values("|b1", (2, 3)), (3, 0))

    # a version 2.0 header of several KiB (numpy's dict text plus spaces, wrapped by numpy's own
    # _wrap_header): ~ le_i4. Headers past 64 KiB are built in the C test instead.
    a = values("<i4", (2, 3))
    buf = io.BytesIO()
    npf._write_array_header(buf, npf.header_data_from_array_1_0(a), (1, 0))
    text = buf.getvalue()[10:].decode("latin1").rstrip()
    with open(os.path.join(OUT, "v2_large_header.npy"), "wb") as f:
        f.write(npf._wrap_header(text + " " * 3000, (2, 0)))
        f.write(a.tobytes())
    back = np.load(os.path.join(OUT, "v2_large_header.npy"), max_header_size=10**6)
    assert back.dtype == a.dtype and (back == a).all()

    # 0-d, zero-length, 1-d, 16 dimensions, special float values
    save("scalar_f8", values("<f8", ()))
    save("scalar_b1", values("|b1", ()))
    save("scalar_i4", values("<i4", ()))
    save("empty_f4", values("<f4", (0,)))
    save("empty_i8", values("<i8", (2, 0, 3)))
    save("vec_i4", values("<i4", (7,)))
    save("dims16_i4", values("<i4", (1,) * 15 + (2,)))
    special = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0 / 3.0]
    save("special_f4", np.array(special + [np.finfo(np.float32).tiny / 4, np.finfo(np.float32).max], "<f4"))
    save("special_f8", np.array(special + [np.finfo(np.float64).tiny / 4, np.finfo(np.float64).max], "<f8"))

    # numpy's headers where the digits matter: a 17-digit shape[0] (less growth padding), a huge
    # trailing dimension, 16 dimensions, and a dict whose length lands exactly on a 64-byte
    # boundary (numpy then pads a whole extra block)
    save("hdr_long_first", np.zeros((12345678901234567, 0), "<f4"))
    save("hdr_long_last", np.zeros((0, 10**18), "<f8"))
    save("hdr_16_zeros", np.zeros((0,) * 16, "|b1"))
    for shape in [(0,) * k + (10**d,) for k in range(1, 15) for d in range(18)]:
        buf = io.BytesIO()
        np.save(buf, np.zeros(shape, "<i4"))
        raw = buf.getvalue()
        text = raw[10:10 + int.from_bytes(raw[8:10], "little")]
        if len(text) - 1 - len(text.rstrip(b" \n")) == (21 - 1) + 64:  # growth room + whole block
            save("hdr_full_pad", np.zeros(shape, "<i4"))
            break
    else:
        raise SystemExit("no shape lands on the 64-byte boundary")

    # valid numpy files einc rejects
    save("bad_u2", np.zeros(2, "<u2"))
    save("bad_u3", np.array(["ab", "c"], "<U3"))
    save("bad_c8", np.zeros(2, "<c8"))
    save("bad_struct", np.zeros(2, [("a", "<f4"), ("b", "<i4")]))
    save("bad_dims17", np.zeros((1,) * 17, "<i4"))

    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}")


if __name__ == "__main__":
    main()
