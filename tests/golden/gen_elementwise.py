#!/usr/bin/python3
"""Golden data for tests/test_elementwise.c, computed with NumPy (run with Debian's /usr/bin/python3).

Writes tests/golden/elementwise/*.npy: the inputs, NumPy's results and the dtype tables. einc's
documented deviations from NumPy (include/einc/elementwise.h) are applied here explicitly, and
every result that NumPy computes natively is checked against that native result, so the files
encode NumPy's numbers and only the deviations the header names:
  - math functions of integers and bools give float64 (NumPy: float16 for bools, integer
    reciprocal for integers): they are computed on the input converted to float64;
  - neg, abs, sign, square, relu, floor, ceil, round keep the dtype (NumPy's floor/ceil/round give
    float64 for integers, sign/square of bools fail or give int8): computed in int64, cast back;
  - floor_div, mod, pow of two bools give int64 (NumPy: int8); logaddexp of bools gives float64
    (NumPy: float16): computed on the operands converted to the einc compute dtype.

Layout (dtype order = einc's enum: float32, float64, int64, int32, bool; -1 = error):
  x_<dt>          (3, 4)            unary input
  unary_<op>      (5, 3, 4) f64     unary results per input dtype (NaN where einc errors)
  unary_dtype     (nunary, 5) i4    einc result dtype code
  a_<dt>, b_<dt>  (3, 4), (4,)      binary inputs (b broadcasts along the rows)
  e_<dt>          (4,)              exponents for pow (non-negative for integers)
  binary_<op>     (5, 5, 3, 4) f64  results for every (dtype of a, dtype of b)
  binary_dtype    (nbinary, 5, 5) i4
  special_<dt>    (8,)              NaN, ±inf, ±0, ... for float32 / float64
  special_binary_<dt> (nbinary, 8, 8) f64   op(special[:, None], special[None, :])
  int_edge_*      wrap-around at the integer limits, native int dtypes
  promote         (5, 5, 4) i4      numpy.result_type for (a, b) with (n-d, n-d), (0-d, n-d),
                                    (n-d, 0-d), (0-d, 0-d); 0-d arrays hold 1 (True), so NumPy
                                    1.x value-based casting never widens for the value's sake
  where<k>_{cond,x,y,out}           numpy.where cases
  scalar_{mul,add}_<dt>             x_<dt> * 0.1 and x_<dt> + -2.5 (einc_mul_scalar/add_scalar)
"""
import os
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "elementwise")
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_]  # einc_dtype order
NAMES = ["float32", "float64", "int64", "int32", "bool"]


def code(dt):
    return [np.dtype(d) for d in DTYPES].index(np.dtype(dt))


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), arr)


def is_float(dt):
    return np.dtype(dt).kind == "f"


def sigmoid(x):
    # float64 truth, rounded to the input's float dtype by the caller
    return 1.0 / (1.0 + np.exp(-x))


# ---- unary ---------------------------------------------------------------------------------------

MATH = {"sqrt", "rsqrt", "exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "sigmoid", "reciprocal"}
UNARY = [
    ("neg", np.negative),
    ("abs", np.absolute),
    ("sign", np.sign),
    ("square", np.square),
    ("sqrt", np.sqrt),
    ("rsqrt", lambda x: x.dtype.type(1) / np.sqrt(x)),
    ("exp", np.exp),
    ("log", np.log),
    ("log1p", np.log1p),
    ("expm1", np.expm1),
    ("sin", np.sin),
    ("cos", np.cos),
    ("tanh", np.tanh),
    ("sigmoid", lambda x: sigmoid(x.astype(np.float64)).astype(x.dtype if is_float(x.dtype) else np.float64)),
    ("relu", lambda x: np.maximum(x, x.dtype.type(0))),
    ("floor", np.floor),
    ("ceil", np.ceil),
    ("round", np.rint),  # half to even
    ("reciprocal", lambda x: x.dtype.type(1) / x),
    ("logical_not", np.logical_not),
]

X = {
    "f": [np.nan, np.inf, -np.inf, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.7, 100.0, -100.0],
    "i": [-7, -3, -2, -1, 0, 1, 2, 3, 5, 7, 100, -100],
    "b": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1],
}


def unary_expected(name, fn, x):
    """(einc result dtype or None, values)."""
    dt = x.dtype
    if name == "neg" and dt == np.bool_:
        return None, None
    if name == "logical_not":
        return np.dtype(np.bool_), fn(x)
    if name in MATH:
        y = fn(x if is_float(dt) else x.astype(np.float64))
        if dt.kind == "i" and name != "reciprocal":
            assert np.array_equal(fn(x), y, equal_nan=True) and fn(x).dtype == y.dtype  # NumPy agrees
        return y.dtype, y
    if dt == np.bool_:
        return dt, fn(x.astype(np.int64)).astype(np.bool_)
    y = fn(x)
    if y.dtype != dt:  # NumPy's float64 floor/ceil/rint of integers: exact values, einc keeps int
        assert dt.kind == "i" and np.array_equal(y, y.astype(dt))
        y = y.astype(dt)
    return dt, y


def gen_unary():
    table = np.full((len(UNARY), 5), -1, np.int32)
    xs = []
    for dt, n in zip(DTYPES, NAMES):
        x = np.array(X[np.dtype(dt).kind], dt).reshape(3, 4)
        save("x_" + n, x)
        xs.append(x)
    for k, (name, fn) in enumerate(UNARY):
        out = np.full((5, 3, 4), np.nan)
        for j, x in enumerate(xs):
            rdt, y = unary_expected(name, fn, x)
            if rdt is None:
                continue
            table[k, j] = code(rdt)
            out[j] = y.astype(np.float64)
        save("unary_" + name, out)
    save("unary_dtype", table)


# ---- binary --------------------------------------------------------------------------------------

BINARY = [
    ("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.true_divide),
    ("floor_div", np.floor_divide), ("pow", np.power), ("maximum", np.maximum), ("minimum", np.minimum),
    ("logaddexp", np.logaddexp), ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
    ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
    ("logical_and", np.logical_and), ("logical_or", np.logical_or), ("mod", np.remainder),
]
COMPARE = {"eq", "ne", "lt", "le", "gt", "ge"}

A = {
    "f": [[-2.5, -1.5, -0.5, -0.0], [0.0, 0.5, 1.5, 2.5], [3.7, -3.7, np.nan, np.inf]],
    "i": [[-7, -3, -2, -1], [0, 1, 2, 3], [5, 7, 100, -100]],
    "b": [[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1]],
}
B = {"f": [2.0, -1.5, 0.0, 0.7], "i": [3, -2, 0, 5], "b": [1, 0, 1, 0]}
E = {"f": [0.5, -1.0, 2.0, 3.0], "i": [0, 1, 2, 3], "b": [1, 0, 1, 0]}


def zero_d(dt):
    return np.array(1, dt)


def promote(da, a_ndim, db, b_ndim):
    a = zero_d(da) if a_ndim == 0 else np.ones(2, da)
    b = zero_d(db) if b_ndim == 0 else np.ones(2, db)
    return np.result_type(a, b)


def binary_dtypes(name, c):
    """einc's (compute, result) dtypes for promoted dtype c, or None where einc errors."""
    c = np.dtype(c)
    if name == "sub" and c == np.bool_:
        return None
    if name in ("div", "logaddexp") and not is_float(c):
        c = np.dtype(np.float64)
    if name in ("floor_div", "mod", "pow") and c == np.bool_:
        c = np.dtype(np.int64)
    if name in ("logical_and", "logical_or"):
        c = np.dtype(np.bool_)
    return c, np.dtype(np.bool_) if name in COMPARE else c


def binary_expected(name, fn, a, b):
    dts = binary_dtypes(name, promote(a.dtype, a.ndim, b.dtype, b.ndim))
    if dts is None:
        return None, None
    c, r = dts
    y = fn(a.astype(c), b.astype(c))
    assert y.dtype == r, (name, a.dtype, b.dtype, y.dtype, r)
    deviation = a.dtype == np.bool_ and b.dtype == np.bool_ and name in ("floor_div", "mod", "pow", "logaddexp")
    if not deviation:
        native = fn(a, b)
        assert native.dtype == r and np.array_equal(native, y, equal_nan=True), (name, a.dtype, b.dtype)
    return r, y


def gen_binary():
    ins = {}
    for dt, n in zip(DTYPES, NAMES):
        k = np.dtype(dt).kind
        ins[n] = (np.array(A[k], dt), np.array(B[k], dt), np.array(E[k], dt))
        save("a_" + n, ins[n][0])
        save("b_" + n, ins[n][1])
        save("e_" + n, ins[n][2])
    table = np.full((len(BINARY), 5, 5), -1, np.int32)
    for k, (name, fn) in enumerate(BINARY):
        out = np.full((5, 5, 3, 4), np.nan)
        for i, na in enumerate(NAMES):
            for j, nb in enumerate(NAMES):
                a = ins[na][0]
                b = ins[nb][2] if name == "pow" else ins[nb][1]
                r, y = binary_expected(name, fn, a, b)
                if r is None:
                    continue
                table[k, i, j] = code(r)
                out[i, j] = y.astype(np.float64)
        save("binary_" + name, out)
    save("binary_dtype", table)

    for dt, n in ((np.float32, "float32"), (np.float64, "float64")):
        s = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -2.5, 3.5], dt)
        save("special_" + n, s)
        out = np.zeros((len(BINARY), 8, 8))
        for k, (name, fn) in enumerate(BINARY):
            out[k] = binary_expected(name, fn, s[:, None], s[None, :])[1].astype(np.float64)
        save("special_binary_" + n, out)


def gen_int_edges():
    """Wrap-around and division at the limits, in the native dtype (int32 fits in int64 exactly)."""
    for dt, n in ((np.int32, "int32"), (np.int64, "int64")):
        i = np.iinfo(dt)
        a = np.array([i.min, i.max, i.min, i.max, -7, 7, i.min, -1], dt)
        b = np.array([-1, 1, 0, -1, 0, -2, 2, i.min], dt)
        save("int_edge_a_" + n, a)
        save("int_edge_b_" + n, b)
        ops = ["add", "sub", "mul", "floor_div", "mod", "maximum", "minimum", "lt"]
        fns = dict(BINARY)
        save("int_edge_binary_" + n, np.stack([fns[o](a, b).astype(np.int64) for o in ops]))
        save("int_edge_unary_" + n, np.stack([f(a).astype(np.int64) for f in (np.negative, np.absolute, np.square)]))
        base = np.array([i.min, 3, -3, 2, i.max], dt)
        exp = np.array([2, 40, 41, 63, 3], dt)
        save("int_edge_pow_base_" + n, base)
        save("int_edge_pow_exp_" + n, exp)
        save("int_edge_pow_" + n, np.power(base, exp))


def gen_promote():
    table = np.zeros((5, 5, 4), np.int32)
    for i, da in enumerate(DTYPES):
        for j, db in enumerate(DTYPES):
            for k, (an, bn) in enumerate(((1, 1), (0, 1), (1, 0), (0, 0))):
                table[i, j, k] = code(promote(da, an, db, bn))
    save("promote", table)


def gen_where():
    cases = [
        # cond int32 [3, 1], x float32 [4], y 0-d float64: value-based casting keeps float32
        (np.array([[0], [2], [-1]], np.int32), np.array([1.5, -2.0, np.nan, 4.0], np.float32), np.array(7.25)),
        # cond bool [3, 4], x int32 [3, 4], y 0-d int64 -> int32
        (np.array(A["b"], np.bool_), np.array(A["i"], np.int32), np.array(-9, np.int64)),
        # cond float64 with NaN (true) and -0.0 (false) [4], x 0-d bool, y int64 [2, 1] -> int64
        (np.array([np.nan, -0.0, 0.5, 0.0]), np.array(True), np.array([[10], [-20]], np.int64)),
    ]
    for k, (c, x, y) in enumerate(cases):
        out = np.where(c, x, y)
        assert out.dtype == promote(x.dtype, x.ndim, y.dtype, y.ndim)
        for part, arr in (("cond", c), ("x", x), ("y", y), ("out", out)):
            save("where%d_%s" % (k, part), arr)


def gen_scalar():
    for dt, n in zip(DTYPES, NAMES):
        x = np.array(X[np.dtype(dt).kind], dt).reshape(3, 4)
        if not is_float(dt):
            x = x.astype(np.float64)
        # NumPy 1.x: a Python float does not widen a float32 array (computed as float32(s))
        save("scalar_mul_" + n, x * 0.1)
        save("scalar_add_" + n, x + -2.5)
        assert (x * 0.1).dtype == x.dtype


def main():
    os.makedirs(OUT, exist_ok=True)
    warnings.simplefilter("ignore")
    with np.errstate(all="ignore"):
        gen_unary()
        gen_binary()
        gen_int_edges()
        gen_promote()
        gen_where()
        gen_scalar()


if __name__ == "__main__":
    main()
