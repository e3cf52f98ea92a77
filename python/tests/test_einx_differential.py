"""einc against einx 0.4.3 itself (numpy backend): random expressions of every family, and a
hand-written list that calls every operation; results, shapes, dtypes and error classes agree."""
import importlib.metadata
import string
import warnings

import numpy as np
import pytest

import einc

einx = pytest.importorskip("einx", reason="einx is not installed (pip install einx==0.4.3)")
if importlib.metadata.version("einx") != "0.4.3":
    pytest.skip(f"einx {importlib.metadata.version('einx')} is installed, not 0.4.3", allow_module_level=True)


def same(got, want, rtol=1e-5, atol=1e-6, check_dtype=True):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w, rtol, atol, check_dtype)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if check_dtype:
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def call_both(name, *args, **kw):
    """Runs einx.name and einc.name; returns (einx result or exception, einc result or exception)."""
    out = []
    for mod in (einx, einc):
        # fresh copies: einx's numpy backend writes set_at/add_at/subtract_at into its input
        fresh = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                out.append(getattr(mod, name)(*fresh, **kw))
        except Exception as e:  # compared below
            out.append(e)
    return out


def agree(name, *args, rtol=1e-5, atol=1e-6, check_dtype=True, **kw):
    want, got = call_both(name, *args, **kw)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"einx raised {type(want).__name__}: {want}, einc returned"
        assert type(got).__name__ == type(want).__name__, (got, want)
        return
    assert not isinstance(got, Exception), f"einc raised {type(got).__name__}: {got}"
    same(got, want, rtol, atol, check_dtype)


# ---- random expressions ------------------------------------------------------------------------


def random_axes(rng, n):
    names = list(rng.choice(list(string.ascii_lowercase[:12]), size=n, replace=False))
    sizes = {a: int(rng.integers(1, 5)) for a in names}
    return names, sizes


def group(rng, names):
    """Random parenthesised runs: ['a', 'b', 'c'] -> 'a (b c)'."""
    out, i = [], 0
    while i < len(names):
        k = int(rng.integers(1, 3)) if i + 1 < len(names) else 1
        run = names[i:i + k]
        out.append(run[0] if k == 1 else "(" + " ".join(run) + ")")
        i += k
    return " ".join(out)


def shape_of(expr, sizes):
    shape, depth, prod = [], 0, 1
    for tok in expr.replace("(", " ( ").replace(")", " ) ").split():
        if tok == "(":
            depth, prod = 1, 1
        elif tok == ")":
            depth = 0
            shape.append(prod)
        elif depth:
            prod *= sizes[tok]
        else:
            shape.append(sizes[tok])
    return tuple(shape)


def tensor(rng, shape, dtype):
    if dtype == "int64":
        return rng.integers(-5, 6, shape)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("seed", range(60))
def test_random_id(seed):
    rng = np.random.default_rng(seed)
    names, sizes = random_axes(rng, int(rng.integers(1, 5)))
    src = group(rng, names)
    dst = group(rng, list(rng.permutation(names)))
    x = tensor(rng, shape_of(src, sizes), rng.choice(["float32", "float64", "int64"]))
    agree("id", f"{src} -> {dst}", x, **{a: sizes[a] for a in names})


@pytest.mark.parametrize("seed", range(60))
def test_random_reduction(seed):
    rng = np.random.default_rng(1000 + seed)
    names, sizes = random_axes(rng, int(rng.integers(1, 5)))
    marked = [a for a in names if rng.random() < 0.5] or [names[0]]
    expr = " ".join(f"[{a}]" if a in marked else a for a in names)
    op = str(rng.choice(["sum", "mean", "var", "std", "prod", "count_nonzero", "any", "all", "max", "min",
                         "logsumexp"]))
    dtype = str(rng.choice(["float32", "float64"]))
    x = tensor(rng, tuple(sizes[a] for a in names), dtype)
    kw = {"keepdims": True} if rng.random() < 0.3 else {}
    agree(op, expr, x, rtol=1e-4, **kw)


@pytest.mark.parametrize("seed", range(60))
def test_random_elementwise(seed):
    rng = np.random.default_rng(2000 + seed)
    names, sizes = random_axes(rng, int(rng.integers(1, 5)))
    b_axes = [a for a in names if rng.random() < 0.6]
    b_axes = list(rng.permutation(b_axes)) if b_axes else []
    op = str(rng.choice(["add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "logaddexp",
                         "maximum", "minimum", "less", "less_equal", "greater", "greater_equal", "equal",
                         "not_equal", "logical_and", "logical_or"]))
    dtype = str(rng.choice(["float32", "float64", "int64"]))
    if op in ("divide", "true_divide", "floor_divide", "logaddexp") and dtype == "int64":
        dtype = "float64"
    x = tensor(rng, tuple(sizes[a] for a in names), dtype)
    y = tensor(rng, tuple(sizes[a] for a in b_axes), dtype)
    if op in ("divide", "true_divide", "floor_divide"):
        y = np.where(np.abs(y) < 0.1, 0.5, y).astype(y.dtype)
    out = " ".join(rng.permutation(names))
    agree(op, f"{' '.join(names)}, {' '.join(b_axes)} -> {out}", x, y)


@pytest.mark.parametrize("seed", range(60))
def test_random_dot(seed):
    rng = np.random.default_rng(3000 + seed)
    names, sizes = random_axes(rng, int(rng.integers(2, 6)))
    k = names[0]
    a_axes = [k] + [a for a in names[1:] if rng.random() < 0.5]
    b_axes = [k] + [a for a in names[1:] if a not in a_axes or rng.random() < 0.3]
    a_axes, b_axes = list(rng.permutation(a_axes)), list(rng.permutation(b_axes))
    keep = [a for a in names[1:] if a in a_axes or a in b_axes]
    out = list(rng.permutation(keep))
    dtype = str(rng.choice(["float32", "float64"]))
    x = tensor(rng, tuple(sizes[a] for a in a_axes), dtype)
    y = tensor(rng, tuple(sizes[a] for a in b_axes), dtype)
    agree("dot", f"{' '.join(a_axes)}, {' '.join(b_axes)} -> {' '.join(out)}", x, y, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", range(40))
def test_random_softmax_and_sort_family(seed):
    rng = np.random.default_rng(4000 + seed)
    names, sizes = random_axes(rng, int(rng.integers(1, 4)))
    one = names[int(rng.integers(len(names)))]
    marked = [a for a in names if rng.random() < 0.5] or [one]
    dtype = str(rng.choice(["float32", "float64"]))
    x = tensor(rng, tuple(sizes[a] for a in names), dtype)
    multi = " ".join(f"[{a}]" if a in marked else a for a in names)
    single = " ".join(f"[{a}]" if a == one else a for a in names)
    agree("softmax", multi, x)
    agree("log_softmax", multi, x, atol=1e-5)
    agree("flip", multi, x)
    agree("roll", multi, x, shift=int(rng.integers(-3, 4)))
    agree("sort", single, x)
    agree("argsort", single, x)
    agree("argmax", single, x)
    agree("argmin", multi, x)


@pytest.mark.parametrize("seed", range(40))
def test_random_ellipses_and_groups(seed):
    """Reductions, elementwise, dot and softmax with an ellipsis and a composed axis."""
    rng = np.random.default_rng(5000 + seed)
    lead = tuple(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 3))))
    a, b, c = (int(v) for v in rng.integers(1, 4, size=3))
    x = rng.standard_normal(lead + (a * b, c))
    y = rng.standard_normal((c,))
    op = str(rng.choice(["sum", "max", "mean", "logsumexp"]))
    agree(op, "... (a b) [c]", x, b=b)
    agree(op, "... (a b) c -> ... c a", x, b=b)
    agree("add", "... (a b) c, c -> ... a b c", x, y, b=b)
    agree("multiply", "... (a b) c, c", x, y, b=b)
    agree("dot", "... (a b) c, c -> ... b a", x, y, b=b)
    agree("softmax", "... (a b) [c]", x, b=b)
    agree("id", "... (a b) c -> c (b ...) a", x, b=b)


@pytest.mark.parametrize("seed", range(30))
def test_random_indexing(seed):
    rng = np.random.default_rng(6000 + seed)
    h, w, c, p = (int(v) for v in rng.integers(1, 5, size=4))
    x = rng.standard_normal((h, w, c)).astype(np.float32)
    coords = np.stack([rng.integers(0, h, p), rng.integers(0, w, p)], axis=1)
    agree("get_at", "[h w] c, p [2] -> p c", x, coords)
    agree("get_at", "[h w] c, p, p -> c p", x, coords[:, 0], coords[:, 1])
    u = rng.standard_normal((p, c)).astype(np.float32)
    distinct = np.unique(coords, axis=0)
    agree("set_at", "[h w] c, p [2], p c", x, distinct, u[: len(distinct)])
    agree("add_at", "[h w] c, p [2], p c", x, coords, u)
    agree("subtract_at", "[h w] c, p [2], c", x, coords, u[0])


# ---- every operation by hand -------------------------------------------------------------------

R = np.random.default_rng(7)
X = R.standard_normal((3, 4, 5)).astype(np.float32)
Y = R.standard_normal((5,)).astype(np.float32)
M = R.standard_normal((3, 4)) > 0
I = R.integers(0, 4, (2, 3))
T = R.standard_normal((6, 2)).astype(np.float32)

HAND = [
    ("id", ("b (h w) -> h b w", R.standard_normal((2, 6))), {"h": 2}),
    ("id", ("a b c -> (a + b)", np.zeros((3,)), np.ones((2,))), {}) if False else
    ("id", ("a, b -> (a + b)", np.zeros((3,)), np.ones((2,))), {}),
    ("id", ("b (q + k) -> b q, b k", R.standard_normal((2, 5))), {"q": 2}),
    ("id", ("a b c -> c b a", X), {}),
    ("id", ("a -> a b", Y), {"b": 3}),
    ("id", ("a a -> a", R.standard_normal((3, 3))), {}),
    ("id", ("b s... -> b (s...)", X), {}),
    ("id", ("(s [ds])... c -> s... c", np.zeros((4, 6, 3))), {"ds": (2, 3)}) if False else
    ("id", ("b ds... -> (ds...) b", X), {"ds": (4, 5)}),
    ("rearrange", ("a b c -> a (b c)", X), {}),
    ("dot", ("a b c, c -> a b", X, Y), {}),
    ("dot", ("a b c, a b c ->", X, X), {}),
    ("dot", ("a [b c], [b c] d -> a d", X, R.standard_normal((4, 5, 2)).astype(np.float32)), {}),
    ("sum", ("a [b] c", X), {}), ("mean", ("a b c -> c", X), {}), ("var", ("[a] b c", X), {}),
    ("std", ("a [b c]", X), {}), ("prod", ("a [b] c", X), {}), ("count_nonzero", ("a [b] c", M[..., None])),
    ("any", ("a [b]", M), {}), ("all", ("[a] b", M), {}), ("max", ("a [b c]", X), {"keepdims": True}),
    ("min", ("a [b] c", X), {}), ("logsumexp", ("a b [c]", X), {}),
    ("add", ("a b c, c", X, Y), {}), ("subtract", ("a b c, c -> c b a", X, Y), {}),
    ("multiply", ("a b c, ", X, np.float32(2)), {}), ("divide", ("a b c, c", X, Y), {}),
    ("true_divide", ("a b c, c", X, Y), {}), ("floor_divide", ("a b c, c", X, Y), {}),
    ("logaddexp", ("a b c, c", X, Y), {}), ("maximum", ("a b c, c", X, Y), {}),
    ("minimum", ("a b c, c", X, Y), {}), ("less", ("a b c, c", X, Y), {}),
    ("less_equal", ("a b c, c", X, Y), {}), ("greater", ("a b c, c", X, Y), {}),
    ("greater_equal", ("a b c, c", X, Y), {}), ("equal", ("a b, a b", I, I[::-1]), {}),
    ("not_equal", ("a b, a b", I, I[::-1]), {}), ("logical_and", ("a b, a b", M, M[::-1]), {}),
    ("logical_or", ("a b, b", M, M[0]), {}),
    ("where", ("a b, a b c, c", M, X, Y), {}),
    ("softmax", ("a [b] c", X), {}), ("log_softmax", ("[a] b [c]", X), {}),
    ("get_at", ("[h w] c, p [2] -> p c", X, np.array([[0, 1], [2, 3]])), {}),
    ("get_at", ("[v] c, b t -> b t c", T, np.array([[0, 5], [1, 1]])), {}),
    ("set_at", ("[h w] c, p [2], p c", X, np.array([[0, 1], [2, 3]]), np.ones((2, 5), np.float32)), {}),
    ("add_at", ("[h w] c, p [2], p c", X, np.array([[0, 1], [0, 1]]), np.ones((2, 5), np.float32)), {}),
    ("subtract_at", ("[h] w c, p, p w c", X, np.array([2, 0, 2]), np.ones((3, 4, 5), np.float32)), {}),
    ("argmax", ("a [b c]", X), {}), ("argmin", ("a [b] c -> a c", X), {}),
    ("sort", ("a [b] c", X), {}), ("argsort", ("a b [c]", X), {}),
    ("flip", ("a [b] c", X), {}), ("roll", ("a [b c]", X), {"shift": (1, -2)}),
    ("roll", ("a [b] c", X), {"shift": 5}),
    ("matches", ("a b c", X), {}), ("matches", ("a b", X), {}),
    ("solve_shapes", ("a b c, c d", X, None), {"d": 2}),
    ("solve_axes", ("a b c", X), {}), ("solve", ("a (b c) d", np.zeros((2, 6, 1))), {"b": 3}),
    # errors: the same class in both
    ("id", ("(a b) c -> a b c", np.zeros((10, 5))), {}),
    ("id", ("a b c -> a c b", np.zeros((3, 4))), {}),
    ("id", ("a (b -> b a", np.zeros((3, 4))), {}),
    ("dot", ("a b, c d -> a d", np.zeros((3, 4)), np.zeros((4, 5))), {}),
    ("sort", ("a [b c]", X), {}),
    ("solve_shapes", ("a b -> b", X), {}),
]
HAND = [h if len(h) == 3 else (h[0], h[1], {}) for h in HAND]


@pytest.mark.parametrize("name,args,kw", HAND, ids=[f"{h[0]}:{h[1][0]}" for h in HAND])
def test_hand_list(name, args, kw):
    agree(name, *args, **kw)


def test_hand_list_covers_every_operation():
    ops = {h[0] for h in HAND}
    every = set(einc.__all__) - {"errors", "version", "set_threads", "get_threads",
                                 # einx 0.4.3 removed these (it raises); einc keeps the 0.3 forms,
                                 # tested against NumPy in test_ops.py
                                 "reduce", "elementwise", "vmap_with_axis", "vmap", "arange", "check"}
    assert every <= ops, every - ops


def test_same_messages_as_einx():
    for name, args, kw in HAND:
        want, got = call_both(name, *args, **kw)
        if isinstance(want, Exception) and type(want).__module__.startswith("einx"):
            assert str(got).rstrip() == str(want).rstrip(), (name, args[0])


def test_python_scalars_differ_only_in_dtype():
    # einx turns Python scalars into 0-d arrays, which NumPy 2 lets widen float32 to float64;
    # einc keeps NumPy's weak-scalar rule (float32 stays float32): docs/python.md
    x = np.ones(3, np.float32)
    want, got = call_both("add", "a, ", x, 2.5)
    same(got, want, check_dtype=False)
    assert got.dtype == np.float32
