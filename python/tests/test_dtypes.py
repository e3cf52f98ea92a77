"""float16, uint8, int8, int16 and uint64 arrays through einc against einx 0.4.3 (numpy backend) and NumPy 2:
values, dtypes, NumPy 2's weak Python scalars, and the documented differences (docs/python.md)."""
import importlib.metadata
import warnings

import numpy as np
import pytest

import einc

try:
    import einx

    if importlib.metadata.version("einx") != "0.4.3":
        einx = None
except ImportError:
    einx = None

NEW = [np.float16, np.uint8, np.int8, np.int16, np.uint64]
needs_einx = pytest.mark.skipif(einx is None, reason="einx 0.4.3 is not installed")


def sample(rng, dtype, *shape):
    """Values that every operation below takes without overflow in the dtype's own arithmetic."""
    if np.dtype(dtype).kind == "f":
        return rng.uniform(-4, 4, shape).astype(dtype)
    lo = 0 if np.dtype(dtype).kind == "u" else -9
    return rng.integers(lo, 10, shape).astype(dtype)


def same(got, want, rtol=0.0):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if rtol and want.dtype.kind == "f":
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(got, want)


def ein(name, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(einx, name)(*args, **kw)


# float16 sums: NumPy rounds partial sums to float16 (einc rounds the exact sum once), so they may
# differ in the last bits; 2e-3 is two float16 ulps at 1.
F16_TOL = 2e-3


def tol(dtype):
    return F16_TOL if dtype == np.float16 else 0.0


@needs_einx
@pytest.mark.parametrize("dtype", NEW)
def test_id_against_einx(rng, dtype):
    x = sample(rng, dtype, 2, 6, 4)
    same(einc.id("b (h w) c -> b c h w", x, h=2), ein("id", "b (h w) c -> b c h w", x, h=2))
    same(einc.id("a b c -> (c a) b", x), ein("id", "a b c -> (c a) b", x))
    q, k = einc.id("b (q + k) c -> b q c, b k c", x, q=2)
    eq, ek = ein("id", "b (q + k) c -> b q c, b k c", x, q=2)
    same(q, eq)
    same(k, ek)


@needs_einx
@pytest.mark.parametrize("dtype", NEW)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "std", "any", "all", "count_nonzero"])
def test_reductions_against_einx(rng, dtype, name):
    x = sample(rng, dtype, 3, 4, 5)
    if name == "prod":  # keep products inside float16's range and away from wrapping
        x = (x % 3).astype(dtype) if dtype != np.float16 else rng.uniform(0.5, 1.5, x.shape).astype(dtype)
    x[0, 0, :2] = 0
    got, want = getattr(einc, name)("[a] b [c]", x), ein(name, "[a] b [c]", x)
    same(got, want, rtol=tol(dtype) * 4 if name in ("var", "std") else tol(dtype))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint64])
def test_integer_sums_follow_numpy(rng, dtype):
    """NumPy sums uint8 and uint64 in uint64 and the signed ones in int64, wrapping around: einc gives
    the same dtype and values."""
    x = np.full((4, 40000), np.iinfo(dtype).max, dtype)
    same(einc.sum("a [b]", x), x.sum(axis=1))
    same(einc.sum("[a b]", x), x.sum())
    same(einc.prod("a [b]", x[:, :30]), x[:, :30].prod(axis=1))  # wraps around in 64 bits
    same(einc.reduce("a [b]", x, op="sum"), x.sum(axis=1))
    same(einc.mean("a [b]", x), x.mean(axis=1))
    same(einc.max("a [b]", x), x.max(axis=1))


@needs_einx
@pytest.mark.parametrize("dtype", NEW)
@pytest.mark.parametrize("other", NEW + [np.float32, np.int32, np.bool_])
def test_add_multiply_against_einx(rng, dtype, other):
    x, y = sample(rng, dtype, 3, 4), sample(rng, other, 4) if other != np.bool_ else rng.random(4) < 0.5
    for name in ("add", "multiply", "subtract", "maximum", "less"):
        if name == "subtract" and dtype == other == np.bool_:
            continue
        same(getattr(einc, name)("a b, b", x, y), ein(name, "a b, b", x, y), rtol=tol(dtype))
        same(getattr(einc, name)("b, a b", y, x), ein(name, "b, a b", y, x), rtol=tol(dtype))


@pytest.mark.parametrize("dtype", NEW)
def test_wrapping_arithmetic_is_numpys(dtype):
    if np.dtype(dtype).kind == "f":
        x = np.array([65504, -65504, 1e-7, 3.0, np.inf, np.nan], dtype)
    else:
        info = np.iinfo(dtype)
        x = np.array([info.max, info.min, info.max - 1, 0, 1, -1 if info.min else 2], dtype)
    y = x[::-1].copy()
    with np.errstate(all="ignore"):
        same(einc.add("a, a", x, y), x + y)
        same(einc.multiply("a, a", x, y), x * y)
        same(einc.subtract("a, a", x, y), x - y)


@pytest.mark.parametrize("dtype", NEW)
def test_weak_python_scalars_are_numpy2s(rng, dtype):
    """A Python scalar never widens an array of its kind or a higher one (NEP 50): float16 + 1.0 stays
    float16, uint8 + 1 stays uint8; a higher kind promotes (uint8 + 1.0 is float64)."""
    x = sample(rng, dtype, 5)
    for s in (1, 2.5, True):
        with np.errstate(all="ignore"):
            same(einc.add("a, ", x, s), x + s)
            same(einc.multiply(", a", s, x), s * x)
            same(einc.maximum("a, ", x, s), np.maximum(x, s))
            same(einc.less("a, ", x, s), x < s)
    m = rng.random(5) < 0.5
    same(einc.where("a, a, ", m, x, 0), np.where(m, x, 0))
    same(einc.where("a, a, ", m, x, 1.5), np.where(m, x, 1.5))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32])
def test_python_int_out_of_bounds(dtype):
    """NumPy 2 raises OverflowError for arithmetic with a Python int the dtype cannot hold, and
    compares (and logical_and/or) with its true value."""
    x = np.array([0, 1, 100], dtype)
    big = int(np.iinfo(dtype).max) + 1
    for name, f in (("add", np.add), ("multiply", np.multiply), ("maximum", np.maximum)):
        with pytest.raises(OverflowError) as want:
            f(x, big)
        with pytest.raises(OverflowError) as got:
            getattr(einc, name)("a, ", x, big)
        assert str(got.value) == str(want.value)
    for name, f in (("less", np.less), ("equal", np.equal), ("greater", np.greater), ("logical_and", np.logical_and)):
        same(getattr(einc, name)("a, ", x, big), f(x, big))
        same(getattr(einc, name)("a, ", x, -big - 1), f(x, -big - 1))
    m = np.array([True, False, True])
    same(einc.where("a, a, ", m, x, big), np.where(m, x, big))  # np.where wraps it into the dtype


def test_uint64_with_negative_python_ints():
    """A negative Python int with a uint64 array: NumPy 2's OverflowError in arithmetic, the true
    values in comparisons (every uint64, those from 2**63 on included, is above it)."""
    x = np.array([0, 1, 2**63, 2**64 - 1], np.uint64)
    with pytest.raises(OverflowError) as want:
        np.add(x, -1)
    with pytest.raises(OverflowError) as got:
        einc.add("a, ", x, -1)
    assert str(got.value) == str(want.value)
    for name, f in (("less", np.less), ("equal", np.equal), ("greater_equal", np.greater_equal)):
        same(getattr(einc, name)("a, ", x, -1), f(x, -1))
        same(getattr(einc, name)("a, ", x, -2**63), f(x, -2**63))
    same(einc.add("a, ", x, 1), x + 1)  # wraps: 2**64 - 1 + 1 is 0
    same(einc.greater("a, ", x, 2**63 - 1), x > 2**63 - 1)


def test_uint64_beyond_int64():
    """Values from 2**63 on stay unsigned through the operations (compared, divided, reduced and
    sorted as uint64, not as int64's negative numbers)."""
    x = np.array([[2**64 - 1, 3, 2**63, 2**63 - 1], [5, 2**63 + 7, 0, 1]], np.uint64)
    y = np.array([7, 2**63, 3, 2**64 - 2], np.uint64)
    for name in ("floor_divide", "maximum", "minimum", "less", "greater_equal", "add", "multiply", "subtract"):
        same(getattr(einc, name)("a b, b", x, y), getattr(np, name)(x, y[None]))
    same(einc.true_divide("a b, b", x, y), x / y)
    for name in ("sum", "prod", "max", "min"):
        same(getattr(einc, name)("a [b]", x), getattr(np, name)(x, axis=1))
    for name in ("argmax", "argmin"):  # einx's index axis of length 1
        same(getattr(einc, name)("a [b]", x)[:, 0], getattr(np, name)(x, axis=1))
    same(einc.mean("a [b]", x), x.mean(axis=1))
    same(einc.sort("a [b]", x), np.sort(x, axis=1))
    same(einc.argsort("a [b]", x), np.argsort(x, axis=1, kind="stable"))
    same(einc.add("a b, b", x, y.astype(np.int64)), x + y.astype(np.int64))  # float64, as NumPy


def test_python_ints_beyond_int64():
    """A Python int outside int64 (from 2**63, below -2**63, beyond 2**64) is a weak scalar as in
    NumPy 2: a uint64 array holds one up to 2**64 - 1, floats take any, other integers raise
    OverflowError in arithmetic and compare true values, bool arrays raise in both."""
    arrays = [np.array([0, 1, -5, 127], np.int8), np.array([0, 2**63 - 1, -2**63], np.int64),
              np.array([0, 2**63, 2**64 - 1], np.uint64), np.array([1.5, -2.0], np.float32),
              np.array([0, 255], np.uint8), np.array([True, False]), np.array([1.0], np.float16)]
    for x in arrays:
        for v in (2**63, 2**63 + 1, 2**64 - 1, 2**64, -2**63 - 1, 2**70):
            for name in ("add", "multiply", "less", "equal", "greater_equal"):
                try:
                    want = getattr(np, name)(x, v)
                except OverflowError:
                    with pytest.raises(OverflowError):
                        getattr(einc, name)("a, ", x, v)
                    continue
                same(getattr(einc, name)("a, ", x, v), want)


@needs_einx
@pytest.mark.parametrize("dtype", NEW)
def test_dot_against_einx(rng, dtype):
    a, b = sample(rng, dtype, 3, 5, 7), sample(rng, dtype, 7, 4)
    same(einc.dot("x y k, k n -> x y n", a, b), ein("dot", "x y k, k n -> x y n", a, b), rtol=tol(dtype))
    same(einc.dot("a [k], [k] -> a", a[0], b[:, 0]), ein("dot", "a [k], [k] -> a", a[0], b[:, 0]), rtol=tol(dtype))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint64])
def test_integer_dot_wraps_as_numpy(dtype):
    a = np.full((2, 300), np.iinfo(dtype).max, dtype)
    same(einc.dot("a k, b k -> a b", a, a), a @ a.T)
    same(einc.dot("k, k ->", a[0], a[1]), (a[0] * a[1]).sum(dtype=dtype))


def softmax64(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@needs_einx
def test_softmax_float16_against_einx(rng):
    x = sample(rng, np.float16, 3, 6)
    same(einc.softmax("a [b]", x), ein("softmax", "a [b]", x), rtol=F16_TOL)
    same(einc.log_softmax("a [b]", x), ein("log_softmax", "a [b]", x), rtol=F16_TOL * 4)
    same(einc.logsumexp("a [b]", x), ein("logsumexp", "a [b]", x), rtol=F16_TOL)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint64])
def test_softmax_of_integers_is_float64(rng, dtype):
    """einc computes the softmax of an integer array in float64, as for int32 (docs/python.md: einx's
    numpy backend subtracts the maximum in the integer dtype, which wraps around for uint8)."""
    x = sample(rng, dtype, 3, 6)
    np.testing.assert_allclose(einc.softmax("a [b]", x), softmax64(x, 1), rtol=1e-12)
    assert einc.softmax("a [b]", x).dtype == np.float64
    lse = np.log(np.exp(x.astype(np.float64)).sum(axis=1))
    np.testing.assert_allclose(einc.logsumexp("a [b]", x), lse, rtol=1e-12)


@needs_einx
@pytest.mark.parametrize("dtype", NEW)
def test_get_at_sort_where_against_einx(rng, dtype):
    table = sample(rng, dtype, 10, 3)
    ids = rng.integers(0, 10, (2, 5))
    same(einc.get_at("[v] c, b t -> b t c", table, ids), ein("get_at", "[v] c, b t -> b t c", table, ids))
    same(einc.get_at("[v] c, b t -> b t c", table, ids.astype(np.int32)),
         ein("get_at", "[v] c, b t -> b t c", table, ids.astype(np.int32)))
    x = sample(rng, dtype, 4, 9)
    same(einc.sort("a [b]", x), ein("sort", "a [b]", x))
    # einx sorts with NumPy's default, unstable algorithm; einc's argsort is stable, which the ties of
    # the integer samples show (uint64's, where NumPy's default is an introsort)
    same(einc.argsort("a [b]", x), np.argsort(x, axis=1, kind="stable"))
    same(einc.flip("a [b]", x), ein("flip", "a [b]", x))
    same(einc.roll("a [b]", x, shift=2), ein("roll", "a [b]", x, shift=2))
    m = rng.random((4, 9)) < 0.5
    y = sample(rng, dtype, 9)
    same(einc.where("a b, a b, b", m, x, y), ein("where", "a b, a b, b", m, x, y))
    same(einc.where("a b, a b, b", m, x, y.astype(np.float32)), ein("where", "a b, a b, b", m, x, y.astype(np.float32)))
    same(einc.set_at("[v] c, b, b c", table, ids[0, :3], x[:3, :3]),
         ein("set_at", "[v] c, b, b c", table.copy(), ids[0, :3], x[:3, :3]))


@pytest.mark.parametrize("dtype", NEW)
def test_views_and_strides(rng, dtype):
    x = sample(rng, dtype, 6, 8)
    y = einc.id("a b -> b a", x)
    assert np.shares_memory(x, y)
    same(y, x.T)
    same(einc.sum("a [b]", x[::2, ::-3]), x[::2, ::-3].sum(axis=1), rtol=tol(dtype))
    sw = x.astype(np.dtype(dtype).newbyteorder())  # byte-swapped: one native copy first
    same(einc.max("a [b]", sw), x.max(axis=1))


def test_vmap_and_arange_take_the_new_dtypes():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    got = einc.vmap("a [b] -> a", x, op=lambda r: r.sum(dtype=np.uint8))
    same(got, x.sum(axis=1, dtype=np.uint8))
    same(einc.arange("a [1]", a=5, dtype="int16"), np.arange(5, dtype=np.int16)[:, None])


def test_other_dtypes_are_refused_naming_what_einc_takes():
    """uint16, uint32 and complex have no einc dtype (nor has ml_dtypes' bfloat16, a user-defined
    NumPy type): a TypeError naming the dtype and listing einc's."""
    for dt in (np.complex64, np.uint16, np.uint32):
        with pytest.raises(TypeError, match=np.dtype(dt).name + "; einc supports float32, float64, float16, int64, "
                           "int32, int16, int8, uint64, uint8 and bool"):
            einc.sum("[a]", np.zeros(3, dt))
