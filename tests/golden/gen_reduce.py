#!/usr/bin/python3
"""Golden values for tests/test_reduce.c (reductions, softmax, log_softmax).

Run with Debian's interpreter, which has numpy:  /usr/bin/python3 tests/golden/gen_reduce.py
Writes tests/golden/reduce/*.npy: the inputs (x_<dtype>.npy, ...) and the expected results.

To keep the files few and small, the results of one op on one input over all the axis sets in
AXIS_SETS are flattened (row-major) and concatenated into one 1-d array; the C test does the same
reductions and compares slice by slice.

float32 expectations are computed in float64 from the float32 input and rounded once (einc sums
float32 in float64, so this is the truth it should meet, tighter than NumPy's float32 sums).
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reduce")
SHAPE = (2, 3, 8)  # last dim >= 8 so reductions over axes 0/1 run the kernel's column mode
# None = every axis. The C test spells some of these differently (negative, unordered) on purpose.
AXIS_SETS = [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1), None]
OPS = ["sum", "mean", "var", "std", "prod", "max", "min", "argmax", "argmin", "any", "all",
       "count_nonzero", "logsumexp"]


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a))


def result_dtype(op, dt):
    fl = dt.kind == "f"
    if op in ("sum", "prod"):
        return dt if fl else np.dtype(np.int64)
    if op in ("mean", "var", "std", "logsumexp"):
        return dt if fl else np.dtype(np.float64)
    if op in ("max", "min"):
        return dt
    if op in ("any", "all"):
        return np.dtype(np.bool_)
    return np.dtype(np.int64)


def logsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    safe = np.where(np.isfinite(m), m, 0.0)  # non-finite max (NaN, +-inf) is the answer
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sum(np.exp(x - safe), axis=axis, keepdims=True)
        r = np.where(np.isfinite(m), m + np.log(s), m)
    return np.squeeze(r, axis=axis) if axis is not None else r.reshape(())


def arg(x, axis, fn):
    """argmax/argmin over a set of axes: row-major flat index within the reduced block."""
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(sorted(a % nd for a in axis))
    kept = [d for d in range(nd) if d not in axes]
    t = np.transpose(x, kept + list(axes))
    t = t.reshape([x.shape[d] for d in kept] + [-1])
    return fn(t, axis=-1)


def reduce(op, x, axis):
    rdt = result_dtype(op, x.dtype)
    xf = x.astype(np.float64)
    if op == "sum":
        r = np.sum(xf if x.dtype.kind == "f" else x.astype(np.int64), axis=axis)
    elif op == "prod":
        r = np.prod(xf if x.dtype.kind == "f" else x.astype(np.int64), axis=axis)
    elif op in ("mean", "var", "std"):
        r = getattr(np, op)(xf, axis=axis)
    elif op in ("max", "min"):
        r = getattr(np, op)(x, axis=axis)
    elif op in ("argmax", "argmin"):
        r = arg(x, axis, getattr(np, op))
    elif op in ("any", "all", "count_nonzero"):
        r = getattr(np, op)(x, axis=axis)
    elif op == "logsumexp":
        r = logsumexp(xf, axis)
    return np.asarray(r).astype(rdt)


def concat_all(op, x):
    return np.concatenate([reduce(op, x, a).reshape(-1) for a in AXIS_SETS])


def softmax(x, axis, log):
    xf = x.astype(np.float64)
    m = np.max(xf, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(xf - m)
        s = np.sum(e, axis=axis, keepdims=True)
        r = (xf - m - np.log(s)) if log else e / s
    return r.astype(x.dtype if x.dtype.kind == "f" else np.float64)


SOFTMAX_AXIS_SETS = [(2,), (0,), (1, 2), (0, 2), None]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    inputs = {
        "f32": rng.standard_normal(SHAPE).astype(np.float32),
        "f64": rng.standard_normal(SHAPE),
        # small integers: many ties, so first-occurrence argmax/argmin matters; zeros for any/all
        "i32": rng.integers(-3, 4, SHAPE).astype(np.int32),
        "i64": rng.integers(-3, 4, SHAPE).astype(np.int64),
        "bool": rng.random(SHAPE) < 0.6,
    }
    inputs["bool"][1, 2, :] = True  # a group that is all True, for all()
    inputs["i32"][0, 1, :] = 0      # a group of zeros, for any()
    for dt, x in inputs.items():
        save("x_" + dt, x)
        for op in OPS:
            save(op + "_" + dt, concat_all(op, x))

    # Large magnitudes: naive exp overflows (float32 beyond ~88, float64 beyond ~709).
    big32 = (rng.standard_normal(SHAPE) * 1e4).astype(np.float32)
    big64 = rng.standard_normal(SHAPE) * 1e5
    save("xbig_f32", big32)
    save("xbig_f64", big64)
    save("logsumexp_big_f32", concat_all("logsumexp", big32))
    save("logsumexp_big_f64", concat_all("logsumexp", big64))
    for dt, x in [("f32", inputs["f32"]), ("f64", inputs["f64"]), ("i32", inputs["i32"]),
                  ("big_f32", big32), ("big_f64", big64)]:
        for log in (False, True):
            name = ("log_softmax_" if log else "softmax_") + dt
            save(name, np.concatenate([softmax(x, a, log).reshape(-1) for a in SOFTMAX_AXIS_SETS]))

    # NaN and infinities, in rows (axis 1, row mode) and columns (axis 0, column mode).
    inf, nan = np.inf, np.nan
    special = np.array([
        [1.0, nan, 3.0, nan, 2.0, 0.0, -1.0, 5.0],
        [-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf],
        [inf, 1.0, -inf, 2.0, inf, 0.0, 7.0, -3.0],
        [-inf, 4.0, 4.0, -2.0, -inf, 1.0, 4.0, 0.0],
    ], dtype=np.float32)
    special[:, 7] = [nan, -inf, 2.0, nan]  # a column holding two NaNs
    save("x_special", special)
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, as intended
        for op in ["sum", "max", "min", "argmax", "argmin", "logsumexp", "any", "count_nonzero"]:
            save(op + "_special", np.concatenate([reduce(op, special, (1,)), reduce(op, special, (0,))]))
        for log in (False, True):
            save(("log_softmax" if log else "softmax") + "_special",
                 np.concatenate([softmax(special, (1,), log).reshape(-1),
                                 softmax(special, (0,), log).reshape(-1)]))

    # int64 beyond 2^53: sums, products and extrema must be exact (and wrap like NumPy's int64).
    b = np.array([[2**62 + 1, 2**62 + 3, 2**62 + 2, -(2**62)],
                  [2**62 + 3, 2**62 + 3, 2**61, 3]], dtype=np.int64)
    save("x_i64big", b)
    with np.errstate(over="ignore"):
        for op in ["sum", "prod", "max", "min", "argmax", "argmin"]:
            save(op + "_i64big", np.concatenate([reduce(op, b, (1,)), reduce(op, b, (0,)),
                                                 reduce(op, b, None).reshape(-1)]))


if __name__ == "__main__":
    main()
