#!/usr/bin/python3
"""Golden data for the core tests (tests/test_print.c, test_views.c, test_tensor.c).

Run with Debian's interpreter from the repository root:  /usr/bin/python3 tests/golden/gen_core.py
It rewrites tests/golden/core/: inputs and expected outputs as .npy files, and for printing the
expected repr() strings as .txt files (numpy 1.24, default print options).
"""
import os
import sys

import numpy as np

assert np.__version__.startswith("1.24"), "the print goldens pin numpy 1.24's repr: " + np.__version__
np.set_printoptions()  # the defaults: precision 8, threshold 1000, edgeitems 3, linewidth 75

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "core")


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.asarray(arr), allow_pickle=False)


def save_text(name, text):
    with open(os.path.join(OUT, name + ".txt"), "w", encoding="ascii", newline="\n") as f:
        f.write(text)


# ---- printing ------------------------------------------------------------------------------
# print_<name>.npy holds the array, print_<name>.txt its repr. Cases whose C side builds a view
# (see test_print.c) store the base array and the repr of the view.

def print_case(name, arr, shown=None):
    save("print_" + name, arr)
    save_text("print_" + name, repr(arr if shown is None else shown))


def print_text_only(name, arr):
    """The C side builds `arr` from arange (keeps big inputs out of the repository)."""
    save_text("print_" + name, repr(arr))


def gen_print():
    f32, f64 = np.float32, np.float64
    print_case("f32_2x2", np.array([[1, 2], [3, 4]], f32))
    print_case("f64_digits", np.array([0.1, 0.25, 1 / 3, 2.5, 100.125, -7.0]))
    print_case("f32_digits", np.array([0.1, 1 / 3, 2.0, 1e-3, -12.75], f32))
    print_case("f64_negative", np.array([-1.5, 2.25, -0.001, 3.0]))
    print_case("f64_negzero", np.array([-0.0, 1.0, 0.0]))
    print_case("f64_sci_large", np.array([1e8, 2.5, -3e9]))
    print_case("f64_sci_small", np.array([1e-5, 1.0, 0.5]))
    print_case("f64_sci_ratio", np.array([0.001, 2.0, 1.5]))
    print_case("f32_ratio_edge", np.array([1.0, 1000.0], f32))
    print_case("f32_sci_min", np.array([1e-4, 1.0], f32))
    print_case("f64_big_exponent", np.array([1e-300, 1e300, -2.5e-8]))
    print_case("f32_denormal", np.array([1e-45, 1.0, 3.4e38], f32))
    print_case("f64_nan_inf", np.array([np.nan, 1.5, -np.inf, np.inf]))
    print_case("f64_nonfinite", np.array([np.nan, -np.inf]))
    print_case("f32_sci_nan", np.array([1e10, np.nan, -np.inf], f32))
    print_case("f32_unique_int", np.array([67108896.0, 3.0], f32))
    print_case("f64_carry", np.array([0.999999999, 0.5]))
    print_case("f64_sci_carry", np.array([9.9999999999e5, 1.5e-5]))
    print_case("f64_tie", np.array([1 / 512, 0.5]))
    print_case("f64_zeros", np.zeros(4))
    print_case("f64_sci_zero", np.array([0.0, 1.5e-5, -2e-7]))
    print_case("i64", np.array([1, -20, 300]))
    print_case("i64_extremes", np.array([2**62, -2**63, 7]))
    print_case("i32_2x3", np.array([[1, 2, 3], [-4, 50, 6]], np.int32))
    print_case("bool_2x2", np.array([[True, False], [False, True]]))
    print_case("bool_wrap", np.arange(30) % 3 == 0)
    print_case("scalar_f64", np.array(3.5))
    print_case("scalar_f32", np.array(3.5, f32))
    print_case("scalar_i32", np.array(2, np.int32))
    print_case("scalar_i64", np.array(-7))
    print_case("scalar_bool", np.array(True))
    print_case("scalar_nan", np.array(np.nan))
    print_case("scalar_f32_sci", np.array(1e-5, f32))
    print_case("empty_f32", np.zeros((0,), f32))
    print_case("empty_f32_0x3", np.zeros((0, 3), f32))
    print_case("empty_f64_2x0x3", np.zeros((2, 0, 3)))
    print_case("empty_bool", np.zeros((0,), bool))
    print_case("empty_i64", np.zeros((0,), np.int64))
    print_case("f64_3d", np.arange(24.0).reshape(2, 3, 4))
    print_case("i32_4d", np.arange(-24, 24, dtype=np.int32).reshape(2, 2, 3, 4))
    print_case("f64_wrap", np.linspace(0, 1, 30))
    print_case("i32_wrap", np.arange(40, dtype=np.int32))
    print_case("f32_wrap_dtype_line", np.arange(18, dtype=f32) * f32(1.25))
    rng = np.random.default_rng(7)
    print_case("f64_2d_wrap", np.round(rng.standard_normal((4, 10)), 3))
    print_text_only("f32_summary_1d", np.arange(2000, dtype=f32) / f32(8))
    print_text_only("f64_summary_2d", np.arange(1200.0).reshape(40, 30))
    print_text_only("i64_summary_3d", np.arange(11 * 12 * 13).reshape(11, 12, 13))
    print_text_only("i32_summary_short_axis", np.arange(2 * 600, dtype=np.int32).reshape(2, 600))
    # the edges decide the format: the hidden middle holds 1e9 but the shown items do not
    mid = np.arange(1500.0)
    mid[700] = 1e9
    print_text_only("f64_summary_hidden_big", mid)
    # views built on the C side: transpose, negative strides, broadcast
    base = np.arange(12, dtype=f32).reshape(3, 4) / f32(4)
    print_case("view_T", base, base.T)
    print_case("view_flip", base, base[::-1, ::2])
    vec = np.array([1.5, -2.0, 3.25])
    print_case("view_bcast", vec, np.broadcast_to(vec, (2, 3)))

    # Random rows: one repr per line ("\n" written as the two characters \n). Values of every
    # kind: short decimals, wide magnitudes, raw bit patterns (denormals included), powers of
    # two, integers near the float32 limit of exact integers.
    def rows(dtype, n, seed):
        r = np.random.default_rng(seed)
        out = np.empty((n, 3), dtype)
        info = np.finfo(dtype)
        for i in range(n):
            mode = i % 6
            if mode == 0:
                v = np.round(10.0 ** r.uniform(-3, 5) * r.uniform(1, 100, 3), r.integers(0, 10))
            elif mode == 1:
                v = 10.0 ** r.uniform(-30, 30, 3)
            elif mode == 2:
                bits = r.integers(0, 2**31 if dtype == np.float32 else 2**62, 3, dtype=np.int64)
                v = bits.astype(np.uint32 if dtype == np.float32 else np.uint64).view(
                    np.float32 if dtype == np.float32 else np.float64)[: 3]
                v = np.where(np.isfinite(v), v, 1.0)
            elif mode == 3:
                v = 2.0 ** r.integers(-30, 30, 3)
            elif mode == 4:
                v = r.integers(1, 2**27, 3).astype(np.float64) * 2.0 ** r.integers(-4, 4, 3)
            else:
                v = r.standard_normal(3) * 10.0 ** r.integers(-4, 9)
            v = v * np.where(r.random(3) < 0.3, -1, 1)
            with np.errstate(over="ignore"):
                out[i] = np.asarray(v).astype(dtype)
            out[i][~np.isfinite(out[i])] = info.max
        return out

    for name, dtype, seed in (("f32", np.float32, 11), ("f64", np.float64, 12)):
        arr = rows(dtype, 150, seed)
        save("print_rows_" + name, arr)
        save_text("print_rows_" + name, "".join(repr(row).replace("\n", "\\n") + "\n" for row in arr))


# ---- views ---------------------------------------------------------------------------------
# The C side builds X = arange(120, float32).reshape(2, 3, 4, 5) and Y = arange(60).reshape(3,
# 4, 5) itself; views_<name>.npy is numpy's result of the same view.

SLICE_NONE = 1000  # an omitted bound in the slice tables


def gen_views():
    X = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    cases = {
        "view_6x20": X.reshape(6, 20),
        "view_m1x5": X.reshape(-1, 5),
        "view_2xm1x5": X.reshape(2, -1, 5),
        "view_ones": X.reshape(1, 2, 1, 60, 1),
        "view_scalar": X[1, 2, 3, 4].reshape(()),
        "view_permuted_merge": X.transpose(1, 0, 2, 3).reshape(3, 2, 20),
        "view_sliced": X[:, 1:3].reshape(2, 2, 20),
        "reshape_copy": X.transpose(1, 0, 2, 3).reshape(6, 20),
        "permute_3021": X.transpose(3, 0, 2, 1),
        "permute_neg": X.transpose(-1, 0, 1, 2),
        "transpose_13": X.swapaxes(1, 3),
        "transpose_m10": X.swapaxes(-1, 0),
        "squeeze_1": np.squeeze(X.reshape(2, 1, 3, 1, 20), 1),
        "squeeze_m2": np.squeeze(X.reshape(2, 1, 3, 1, 20), -2),
        "squeeze_all": np.squeeze(X.reshape(1, 2, 1, 3, 1, 20, 1)),
        "unsqueeze_0": np.expand_dims(X, 0),
        "unsqueeze_2": np.expand_dims(X, 2),
        "unsqueeze_m1": np.expand_dims(X, -1),
        "expand_3x1": np.broadcast_to(np.arange(3, dtype=np.float32).reshape(3, 1), (2, 3, 4)),
        "expand_leading": np.broadcast_to(X[0, :, :1, 0], (5, 3, 7)),
        "narrow_2_1_2": X[:, :, 1:3],
        "narrow_m1_m3_2": X[..., 2:4],
        "narrow_empty": X[:, :, 4:4],
        "select_0_1": X[1],
        "select_m1_m2": X[..., -2],
        "select_1_m1": X[:, -1],
        "flip_0": np.flip(X, 0),
        "flip_13": np.flip(X, (1, 3)),
        "flip_m1": np.flip(X, -1),
        "flip_all": np.flip(X),
        "chain_diag": X.transpose(3, 1, 0, 2)[::-2, 1:][..., ::-1].diagonal(1, 1, 3),
        "chain_flat": X[::-1][1].reshape(60)[3:50:7],
        "chain_expand": np.broadcast_to(X[0, :, 1:2, 0][None], (4, 3, 6))[..., 2],
    }
    # the C side expects these to be views (no copy) and reshape_copy to need a copy
    assert np.shares_memory(cases["view_permuted_merge"], X) and np.shares_memory(cases["view_sliced"], X)
    assert not np.shares_memory(cases["reshape_copy"], X)
    for name, arr in cases.items():
        save("views_" + name, np.array(arr, order="C"))

    # numpy.diagonal of Y for every axis pair and offset, packed: meta rows (axis1, axis2,
    # offset, rows, cols, start) index into the flattened, concatenated results.
    Y = np.arange(60, dtype=np.float64).reshape(3, 4, 5)
    meta, parts, start = [], [], 0
    for a1, a2 in ((0, 1), (1, 2), (0, 2), (2, 0), (-1, -3), (1, 0)):
        for off in (0, 1, -1, 3, -2, 6, -4, 100, -100):
            d = Y.diagonal(off, a1, a2)
            meta.append((a1, a2, off, d.shape[0], d.shape[1], start))
            parts.append(d.ravel())
            start += d.size
    save("views_diag_meta", np.array(meta, np.int64))
    save("views_diag_values", np.concatenate(parts))

    # x[start:stop:step] of x = arange(7) for many bounds, as rows (start, stop, step, count,
    # first element or -1). A slice of arange is first, first + step, ..., so count and first
    # pin it down. An omitted bound is stored as NONE.
    x = np.arange(7)

    def slice_rows(bounds, steps):
        rows = []
        for st in bounds:
            for sp in bounds:
                for step in steps:
                    r = x[slice(st, sp, step)]
                    enc = lambda b: SLICE_NONE if b is None else b
                    rows.append([enc(st), enc(sp), step, len(r), r[0] if len(r) else -1])
        return rows

    save("views_slice_table", np.array(slice_rows((None, -9, -7, -2, 0, 1, 5, 7, 9), (1, 2, 3, -1, -2, -3, 6, -6)),
                                       np.int32))
    big = (-2**63, -2**62, 2**62, 2**63 - 1)
    save("views_slice_extreme", np.array(slice_rows(big, (1, -1, 2**63 - 1, -(2**63 - 1))), np.int64))


# ---- casts and copies ------------------------------------------------------------------------

DTYPES = (("f32", np.float32), ("f64", np.float64), ("i64", np.int64), ("i32", np.int32), ("b1", np.bool_))


def gen_casts():
    # Values with one defined result for every target: floats truncate into int32 range and
    # are not NaN (NaN and out-of-range float -> int are platform-specific in NumPy; test_views.c
    # checks them against einc's own documented rule).
    srcs = {
        "f32": np.array([0, -0.0, 1.5, -1.5, 2.7, -2.7, 100.99, -100.99, 16777217, 0.1, 3e9 / 4], np.float32),
        "f64": np.array([0, -0.0, 1.5, -1.5, 2.7, -2.7, 100.99, -100.99, 16777217, 0.1, 2147483647.9,
                         -2147483648.9, 1e-310], np.float64),
        "i64": np.array([0, 1, -1, 7, 2**31, -2**31 - 1, 2**53 + 1, 2**40 + 3, -2**62, 2**63 - 1, 2**60 + 2**36 + 1], np.int64),
        "i32": np.array([0, 1, -1, 2**31 - 1, -2**31, 16777217, 123456789], np.int32),
        "b1": np.array([True, False, True]),
    }
    for sname, _ in DTYPES:
        save("cast_src_" + sname, srcs[sname])
        for dname, dtype in DTYPES:
            save("cast_%s_%s" % (sname, dname), srcs[sname].astype(dtype))

    # in-place copies; numpy copies overlapping operands through a temporary
    dst = np.zeros((2, 3))
    dst[...] = np.array([1.5, 2.5, 3.5], np.float32)
    save("copy_broadcast", dst)
    x = np.arange(6, dtype=np.float32)
    x[:] = x[::-1]
    save("copy_flip_self", x)
    a = np.arange(20.0).reshape(4, 5)
    a[1:, :] = a[:-1, :]
    save("copy_shift_rows", a)
    b = np.arange(16, dtype=np.int32).reshape(4, 4)
    b[:] = b.T
    save("copy_transpose_self", b)
    c = np.arange(12.0).reshape(3, 4)
    c[:, 1:] = c[:, :-1][::-1]
    save("copy_overlap_mixed", c)


# ---- creation ------------------------------------------------------------------------------

ARANGE_DTYPE_CODE = {np.float32: 0, np.float64: 1, np.int64: 2, np.int32: 3}  # einc_dtype values


def gen_arange():
    cases = [
        (0, 10, 1, np.float32), (0.1, 50, 0.3, np.float32), (0.1, 50, 0.3, np.float64),
        (-3.7, 20.1, 0.7, np.float64), (10, -5, -0.37, np.float32), (10, -5, -0.37, np.float64),
        (0.5, 5, 1.5, np.int64), (0.5, 5, 1.5, np.int32), (-7, 8, 3, np.int32), (5, -6, -2, np.int64),
        (-2.5, 3.7, 0.9, np.int64), (1e-3, 7, 0.013, np.float32), (3, 3, 1, np.float64),
        (5, 0, 1, np.float32), (0, 1, 0.1, np.float64), (1, 1.3, 0.1, np.float64), (0, -1, -0.1, np.float32),
        (-1e6, 1e6, 33333.3, np.float32), (0, 2**40, 2**38 + 0.5, np.int64),
    ]
    meta, parts, start = [], [], 0
    for st, sp, step, dtype in cases:
        a = np.arange(st, sp, step, dtype=dtype)
        meta.append((st, sp, step, ARANGE_DTYPE_CODE[dtype], len(a), start))
        parts.append(a.astype(np.float64))
        start += len(a)
    save("arange_meta", np.array(meta, np.float64))
    save("arange_values", np.concatenate(parts))


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    gen_print()
    gen_views()
    gen_casts()
    gen_arange()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d files, %d bytes, into %s" % (len(os.listdir(OUT)), total, OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
