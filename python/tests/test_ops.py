"""Every einc operation against NumPy computing the same thing directly (golden values)."""
import warnings

import numpy as np
import pytest

import einc


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def test_id_rearrangements(rng):
    x = f32(rng, 2, 6, 4)
    np.testing.assert_array_equal(einc.id("b (h w) c -> b c h w", x, h=2), x.reshape(2, 2, 3, 4).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(einc.id("a b c -> (c a) b", x), x.transpose(2, 0, 1).reshape(8, 6))
    np.testing.assert_array_equal(einc.id("a b c -> a b c d", x, d=3), np.broadcast_to(x[..., None], (2, 6, 4, 3)))
    np.testing.assert_array_equal(einc.id("a a -> a", np.arange(9.0).reshape(3, 3)), [0.0, 4.0, 8.0])
    q, k = einc.id("b (q + k) -> b q, b k", x[:, :, 0], q=2)
    np.testing.assert_array_equal(q, x[:, :2, 0])
    np.testing.assert_array_equal(k, x[:, 2:, 0])
    np.testing.assert_array_equal(einc.id("a, b -> (a + b)", np.arange(2.0), np.arange(3.0)), [0, 1, 0, 1, 2])
    y = einc.id("... (qkv nh dh) -> qkv ... nh dh", x, qkv=2, nh=1)
    np.testing.assert_array_equal(y, x.reshape(2, 6, 2, 1, 2).transpose(2, 0, 1, 3, 4))
    np.testing.assert_array_equal(einc.id("b ds... -> (ds...) b", x, ds=(6, 4)), x.reshape(2, 24).T)


def test_dot(rng):
    a, b = f32(rng, 3, 4, 5), f32(rng, 5, 6)
    np.testing.assert_allclose(einc.dot("x y k, k n -> x y n", a, b), np.einsum("xyk,kn->xyn", a, b), rtol=1e-5, atol=1e-6)
    q, k = f32(rng, 2, 3, 7, 4), f32(rng, 2, 3, 5, 4)
    np.testing.assert_allclose(
        einc.dot("... N d, ... M d -> ... N M", q, k), np.einsum("bhnd,bhmd->bhnm", q, k), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(einc.dot("a [b], [b] -> a", a[:, :, 0], np.ones(4, np.float32)), a[:, :, 0].sum(1),
                               rtol=1e-5)
    assert einc.dot("a b, b c -> a c", np.ones((2, 3)), np.ones((3, 2))).dtype == np.float64


REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "var": np.var, "std": np.std, "prod": np.prod,
    "count_nonzero": np.count_nonzero, "any": np.any, "all": np.all, "max": np.max, "min": np.min,
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS) + ["logsumexp"])
def test_reductions(rng, name):
    x = f32(rng, 3, 4, 5)
    x[0, 0, :2] = 0
    if name == "logsumexp":
        m = x.max(axis=(0, 2), keepdims=True)
        want = (np.log(np.exp(x - m).sum(axis=(0, 2), keepdims=True)) + m).reshape(4)
        tol = 1e-5
    else:
        want = REDUCTIONS[name](x, axis=(0, 2))
        tol = 1e-5
    got = getattr(einc, name)("[a] b [c]", x)
    assert got.shape == want.shape
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=1e-6)
    got2 = getattr(einc, name)("a b c -> b", x)
    np.testing.assert_allclose(got2, want, rtol=tol, atol=1e-6)
    with pytest.warns(DeprecationWarning, match="keepdims"):  # as einx 0.4.3 warns
        kd = getattr(einc, name)("[a] b [c]", x, keepdims=True)
    assert kd.shape == (1, 4, 1)
    np.testing.assert_allclose(kd.reshape(4), want, rtol=tol, atol=1e-6)
    assert getattr(einc, name)("([a]) b ([c])", x).shape == (1, 4, 1)  # what einx suggests instead


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "true_divide": np.true_divide, "floor_divide": np.floor_divide, "logaddexp": np.logaddexp,
    "maximum": np.maximum, "minimum": np.minimum, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal, "equal": np.equal, "not_equal": np.not_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_elementwise(rng, name):
    x, y = f32(rng, 3, 4), f32(rng, 4)
    y[1] = x[0, 1]  # some equal elements for the comparisons
    want = BINARY[name](x, y[None, :])
    got = getattr(einc, name)("a b, b", x, y)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # broadcasting by name: an outer combination
    got = getattr(einc, name)("a, b -> b a", x[:, 0], y)
    np.testing.assert_allclose(got, BINARY[name](x[None, :, 0], y[:, None]), rtol=1e-6)
    # int arrays
    xi, yi = rng.integers(1, 9, (3, 4)), rng.integers(1, 9, 4)
    np.testing.assert_array_equal(getattr(einc, name)("a b, b", xi, yi), BINARY[name](xi, yi))


def test_where_and_scalars(rng):
    m, x = f32(rng, 3, 4) > 0, f32(rng, 3, 4)
    np.testing.assert_array_equal(einc.where("a b, a b, ", m, x, 0.0), np.where(m, x, np.float32(0)))
    assert einc.where("a b, a b, ", m, x, 0.0).dtype == np.float32
    np.testing.assert_array_equal(einc.where("a b, b, a", m, x[0], x[:, 1]), np.where(m, x[0][None], x[:, 1:2]))
    np.testing.assert_allclose(einc.multiply("a b, ", x, 2.5), x * 2.5)
    assert einc.add("a, ", np.arange(3, dtype=np.int32), 1).dtype == np.int32
    np.testing.assert_array_equal(einc.add("a, ", [1, 2, 3], 1), [2, 3, 4])  # a list is a tensor too


def test_softmax(rng):
    x = f32(rng, 2, 3, 5)
    e = np.exp(x - x.max(axis=2, keepdims=True))
    np.testing.assert_allclose(einc.softmax("a b [c]", x), e / e.sum(axis=2, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(einc.log_softmax("a b [c]", x), np.log(e / e.sum(axis=2, keepdims=True)),
                               rtol=1e-5, atol=1e-6)
    e2 = np.exp(x - x.max(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(einc.softmax("[a] b [c]", x), e2 / e2.sum(axis=(0, 2), keepdims=True), rtol=1e-5)


def test_indexing(rng):
    x = f32(rng, 4, 5, 3)
    idx = np.array([[0, 1], [3, 4], [-1, 2]])
    got = einc.get_at("[h w] c, p [2] -> p c", x, idx)
    np.testing.assert_array_equal(got, x[idx[:, 0], idx[:, 1]])
    table, ids = f32(rng, 10, 4), rng.integers(0, 10, (2, 3))
    np.testing.assert_array_equal(einc.get_at("[v] c, b t -> b t c", table, ids), table[ids])
    np.testing.assert_array_equal(einc.get_at("[h w] c, , -> c", x, 1, 2), x[1, 2])
    u = f32(rng, 3)
    want = x.copy()
    want[1, 2] = u
    got = einc.set_at("[h w] c, , , c", x, 1, 2, u)
    np.testing.assert_array_equal(got, want)
    assert not np.shares_memory(got, x)
    p = np.array([[0, 0], [0, 0], [2, 1]])
    v = f32(rng, 3, 3)
    want = x.copy()
    np.add.at(want, (p[:, 0], p[:, 1]), v)
    np.testing.assert_allclose(einc.add_at("[h w] c, p [2], p c", x, p, v), want, rtol=1e-6)
    want = x.copy()
    np.subtract.at(want, (p[:, 0], p[:, 1]), v)
    np.testing.assert_allclose(einc.subtract_at("[h w] c, p [2], p c", x, p, v), want, rtol=1e-6)


def test_argfind_sort_flip_roll(rng):
    x = f32(rng, 3, 4, 5)
    np.testing.assert_array_equal(einc.argmax("a [b] c -> a c", x), x.argmax(axis=1))
    np.testing.assert_array_equal(einc.argmin("a [b] c -> a c", x), x.argmin(axis=1))
    flat = x.reshape(3, 20).argmax(axis=1)
    np.testing.assert_array_equal(einc.argmax("a [b c]", x), np.stack(np.unravel_index(flat, (4, 5)), axis=1))
    xi = rng.integers(0, 3, (4, 6))
    np.testing.assert_array_equal(einc.sort("a [b]", xi), np.sort(xi, axis=1))
    np.testing.assert_array_equal(einc.argsort("a [b]", xi), np.argsort(xi, axis=1, kind="stable"))
    np.testing.assert_array_equal(einc.argsort("[a] b -> b [a]", xi), np.argsort(xi, axis=0, kind="stable").T)
    np.testing.assert_array_equal(einc.flip("a [b c]", x), x[:, ::-1, ::-1])
    np.testing.assert_array_equal(einc.roll("a [b] c", x, shift=1), np.roll(x, 1, axis=1))
    np.testing.assert_array_equal(einc.roll("a [b c]", x, shift=(1, -2)), np.roll(x, (1, -2), axis=(1, 2)))


def test_solvers():
    x = np.zeros((3, 4))
    assert einc.solve_axes("a b, c b a", x, None, c=3) == {"a": 3, "b": 4, "c": 3}
    s = einc.solve_axes("a..., c a...", x, None, c=3)
    np.testing.assert_array_equal(s["a"], [3, 4])
    assert s["a"].dtype == np.int32 and s["c"] == 3
    assert einc.solve("a b", x) == {"a": 3, "b": 4}
    assert einc.solve_shapes("a b, c b a", x, None, c=5) == ((3, 4), (5, 4, 3))
    assert einc.matches("a b", x) is True
    assert einc.matches("a b c", x) is False
    assert einc.matches("a b", x, a=4) is False
    with pytest.warns(DeprecationWarning):
        assert einc.check("a b", x) is None
    with pytest.warns(DeprecationWarning), pytest.raises(einc.errors.RankError):
        einc.check("a b c", x)


def test_older_names(rng):
    x = f32(rng, 3, 4)
    with pytest.warns(DeprecationWarning):
        np.testing.assert_array_equal(einc.rearrange("a b -> b a", x), x.T)
    np.testing.assert_allclose(einc.reduce("a [b]", x, op="sum"), x.sum(1), rtol=1e-6)
    np.testing.assert_allclose(einc.reduce("a [b]", x, op="max", keepdims=True), x.max(1, keepdims=True))
    np.testing.assert_allclose(einc.elementwise("a b, b", x, x[0], op="multiply"), x * x[0])
    np.testing.assert_allclose(einc.reduce("a [b]", x, op=np.mean), x.mean(1), rtol=1e-6)  # 0.3 took functions
    np.testing.assert_allclose(einc.elementwise("a b, b", x, x[0], op=np.add), x + x[0])
    with pytest.raises(TypeError, match="op must name an einc operation"):
        einc.reduce("a [b]", x, op=lambda t, axis: t)
    with pytest.raises(ValueError):
        einc.reduce("a [b]", x, op="no_such_reduction")
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(einc.vmap_with_axis("a [b]", x, op="softmax"), e / e.sum(1, keepdims=True),
                               rtol=1e-5)
    np.testing.assert_allclose(einc.vmap_with_axis("a [b] -> a", x, op=lambda t, axis: np.median(t, axis=axis)),
                               np.median(x, axis=1), rtol=1e-6)
    g = einc.arange("a b [2]", a=2, b=3)
    assert g.dtype == np.int32
    np.testing.assert_array_equal(g, np.stack(np.meshgrid(np.arange(2), np.arange(3), indexing="ij"), axis=-1))


def test_vmap_python_function(rng):
    x, y = f32(rng, 3, 4), f32(rng, 2, 4)
    calls = []

    def fn(a, b):
        calls.append((a.shape, b.shape))
        return np.dot(a, b)

    got = einc.vmap("a [c], b [c] -> a b", x, y, op=fn)
    np.testing.assert_allclose(got, x @ y.T, rtol=1e-5)
    assert calls == [((4,), (4,))] * 6
    got = einc.vmap("a [c] -> a [d]", x, op=lambda r: np.array([r.min(), r.max()]), d=2)
    np.testing.assert_allclose(got, np.stack([x.min(1), x.max(1)], 1))

    def boom(r):
        raise KeyError("from the function")

    with pytest.raises(KeyError, match="from the function"):
        einc.vmap("a [c] -> a", x, op=boom)
    # einc inside the function (the same thread re-enters the library)
    got = einc.vmap("a [c] -> a", x, op=lambda r: einc.sum("[c]", r))
    np.testing.assert_allclose(got, x.sum(1), rtol=1e-5)


def test_graph_returns_the_plan(rng):
    x = f32(rng, 2, 6)
    text = einc.id("a (b c) -> c b a", x, b=2, graph=True)
    assert isinstance(text, str) and "a=2" in text and "b=2" in text and "c=3" in text
    assert "GEMM" in einc.dot("a b, b c -> a c", x, x.T, graph=True)


def test_rearrange_warns_like_einx():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        einc.rearrange("a -> a", np.zeros(2))
    assert any(issubclass(i.category, DeprecationWarning) for i in w)


def test_threads_setting_and_version():
    before = einc.get_threads()
    try:
        einc.set_threads(1)
        assert einc.get_threads() == 1
        x = np.random.default_rng(3).standard_normal((256, 512)).astype(np.float32)
        one = einc.softmax("a [b]", x)
        einc.set_threads(2)
        np.testing.assert_array_equal(einc.softmax("a [b]", x), one)  # results never depend on threads
    finally:
        einc.set_threads(before)
    assert einc.version() == einc.__version__ and einc.version().count(".") == 2
