#!/usr/bin/python3
"""Golden values for the einx operations (tests/test_notation.c, tests/test_cli.sh).

einx is not installable here, so every case states its expected result with plain NumPy
(transpose/reshape/einsum/...), written independently of einc's implementation. Each case
writes its inputs and expected output as .npy files and one line to cases.txt:

    name|op|expression|constraints|input files|output files

Run with Debian's interpreter: /usr/bin/python3 tests/golden/gen_notation.py
"""
import os
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notation")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(1234)
lines = []


def arr(*shape, dtype=np.float32, lo=-2.0, hi=2.0):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-5, 6, size=shape).astype(dtype)
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def case(name, op, expr, inputs, outputs, constraints=""):
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    ins, outs = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            ins.append(repr(x))  # a plain number: a 0-d input given on the command line
            continue
        f = f"{name}.in{i}.npy"
        np.save(os.path.join(HERE, f), np.asarray(x))
        ins.append(f)
    for i, y in enumerate(outputs):
        f = f"{name}.out{i}.npy"
        np.save(os.path.join(HERE, f), np.asarray(y))
        outs.append(f)
    lines.append("|".join([name, op, expr, constraints, ",".join(ins), ",".join(outs)]))


# ---- id / rearrange ------------------------------------------------------------------------------
x = arr(2, 3, 4)
case("id_transpose", "id", "a b c -> c a b", [x], x.transpose(2, 0, 1))
case("id_flatten", "id", "a b c -> a (b c)", [x], x.reshape(2, 12))
case("id_unflatten", "id", "a (b c) -> a b c", [x.reshape(2, 12)], x, "b=3")
case("id_merge_transpose", "id", "a b c -> (c a) b", [x], x.transpose(2, 0, 1).reshape(8, 3))
case("id_implicit", "id", "a b c", [x], x)
xq = arr(2, 48, 8, 8)
q = xq.reshape(2, 3, 4, 4, 8, 8).transpose(1, 0, 2, 4, 5, 3).reshape(3, 2, 4, 64, 4)
case("rearrange_attention_qkv", "rearrange", "... (qkv nh dh) H W -> qkv ... nh (H W) dh", [xq], q, "qkv=3, nh=4, dh=4")
o = arr(2, 4, 64, 4)
case("rearrange_attention_back", "rearrange", "... nh (H W) dh -> ... (nh dh) H W", [o],
     o.reshape(2, 4, 8, 8, 4).transpose(0, 1, 4, 2, 3).reshape(2, 16, 8, 8), "nh=4, dh=4, H=8")
xb = arr(2, 12, 3)
case("id_cse_no_factors", "id", "b (h w) c -> c (h w) b", [xb], xb.transpose(2, 1, 0))
case("id_bhwc", "id", "b (h w) c -> b c h w", [xb], xb.reshape(2, 3, 4, 3).transpose(0, 3, 1, 2), "h=3")
x31 = arr(3, 1, 4)
case("id_squeeze", "id", "a b c -> a c", [x31], x31[:, 0, :])
case("id_squeeze_unnamed", "id", "a 1 c -> c a", [x31], x31[:, 0, :].T)
x2 = arr(3, 4)
case("id_broadcast_number", "id", "a b -> a b 3", [x2], np.broadcast_to(x2[:, :, None], (3, 4, 3)))
x5 = arr(5)
case("id_broadcast_named", "id", "a -> a b", [x5], np.broadcast_to(x5[:, None], (5, 4)), "b=4")
case("id_ones", "id", "a b c -> 1 a 1 b 1 c 3", [x],
     np.broadcast_to(x[None, :, None, :, None, :, None], (1, 2, 1, 3, 1, 4, 3)))
sq = arr(4, 4)
case("id_diagonal", "id", "a a -> a", [sq], np.diagonal(sq))
d4 = arr(3, 2, 4, 2)
case("id_diagonal_permute", "id", "b a c a -> a b c", [d4], np.einsum("baca->abc", d4))
cube = arr(3, 3, 3, 3)
case("id_diagonal4", "id", "a a a a -> a", [cube], np.einsum("aaaa->a", cube))
xs = arr(2, 10)
case("id_split", "id", "b (q + k + v) -> b q, b k, b v", [xs], [xs[:, :2], xs[:, 2:5], xs[:, 5:]], "q=2, k=3")
xc = arr(2, 3)
case("id_append_scalar", "id", "b c, -> b (c + 1)", [xc, 7.5], np.concatenate([xc, np.full((2, 1), 7.5, np.float32)], 1))
tok = arr(5)
img = arr(2, 3, 5)
case("id_class_token", "id", "c, h w c -> (1 + (h w)) c", [tok, img], np.concatenate([tok[None], img.reshape(6, 5)], 0))
ma, mb = arr(3), arr(4)
case("id_meshgrid", "id", "a, b -> a b (1 + 1)", [ma, mb],
     np.stack([np.broadcast_to(ma[:, None], (3, 4)), np.broadcast_to(mb[None, :], (3, 4))], -1))
p1, p2 = arr(2, 3), arr(2, 3)
case("id_concat_same_name", "id", "a b, a b -> a (b + b)", [p1, p2], np.concatenate([p1, p2], 1))
c1, c2 = arr(2, 3, 4, 5), arr(2, 3, 6)
case("id_concat_nested", "id", "a b c d, a b e -> a b ((c d) + e)", [c1, c2],
     np.concatenate([c1.reshape(2, 3, 20), c2], 2))
case("id_scalar_broadcast", "id", "-> a...", [2.5], np.full((3, 4, 5), 2.5), "a=(3, 4, 5)")
xx, yy = arr(3), arr(2)
case("id_multi", "id", "x, y -> x y, x y", [xx, yy], [np.broadcast_to(xx[:, None], (3, 2)), np.broadcast_to(yy[None, :], (3, 2))])
m35 = arr(3, 5)
case("id_concat_split_cartesian", "id", "(a + b) (c + d) -> a c, a d, b c, b d", [m35],
     [m35[:1, :2], m35[:1, 2:], m35[1:, :2], m35[1:, 2:]], "a=1, c=2")
pt = arr(2, 8, 9, 3)
case("id_patches", "id", "b (s ds)... c -> b s... (ds... c)", [pt],
     pt.reshape(2, 4, 2, 3, 3, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 4, 3, 18), "ds=(2, 3)")
e7 = arr(7)
case("id_ellipsis_empty", "id", "b... c -> c b...", [e7], e7)
i64 = arr(3, 4, dtype=np.int64)
case("id_int64", "id", "a b -> b a", [i64], i64.T)
bl = arr(3, 4, dtype=np.bool_)
case("id_bool", "id", "a b -> (b a)", [bl], bl.T.reshape(12))
r16 = arr(16)
case("id_square_root_diagonal", "id", "(a a) -> a", [r16], np.diagonal(r16.reshape(4, 4)))
kr1, kr2 = arr(2, 3), arr(4, 5)
case("multiply_kronecker", "multiply", "a..., b... -> (a b)...", [kr1, kr2], np.kron(kr1, kr2))

# ---- dot -----------------------------------------------------------------------------------------
A, B = arr(3, 4), arr(4, 5)
case("dot_matmul", "dot", "a b, b c -> a c", [A, B], A @ B)
case("dot_matmul_brackets", "dot", "a [b], [b] c -> a c", [A, B], A @ B)
Q, K = arr(2, 3, 6, 4), arr(2, 3, 5, 4)
case("dot_attention_logits", "dot", "... N dh, ... M dh -> ... N M", [Q, K], np.einsum("bhnd,bhmd->bhnm", Q, K))
AT, V = arr(2, 3, 6, 5), arr(2, 3, 5, 4)
case("dot_attention_values", "dot", "... N M, ... M d -> ... N d", [AT, V], np.einsum("bhnm,bhmd->bhnd", AT, V))
C3, D3, E3 = arr(2, 3, 4), arr(4, 5), arr(5, 6)
case("dot_three", "dot", "a b c, c d, d e -> a b e", [C3, D3, E3], np.einsum("abc,cd,de->abe", C3, D3, E3))
v3 = arr(3)
case("dot_scalar", "dot", "a, -> a", [v3, 2.0], v3 * 2)
o1, o2 = arr(3), arr(4)
case("dot_outer", "dot", "a, b -> a b", [o1, o2], np.outer(o1, o2))
bb = arr(4)
case("dot_broadcast_mul", "dot", "a b, b -> a b", [A, bb], A * bb)
hq, hk = arr(2, 5, 6), arr(2, 4, 6)
case("dot_heads", "dot", "b q (h c), b k (h c) -> b q k h", [hq, hk],
     np.einsum("bqhc,bkhc->bqkh", hq.reshape(2, 5, 2, 3), hk.reshape(2, 4, 2, 3)), "h=2")
g1, w1 = arr(2, 6), arr(3, 4)
case("dot_grouped", "dot", "b (g c1), c1 c2 -> b (g c2)", [g1, w1],
     np.einsum("bgi,ij->bgj", g1.reshape(2, 2, 3), w1).reshape(2, 8))
s1, s2 = arr(2, 3, 4, 5), arr(3, 4, 6)
case("dot_ellipsis_brackets", "dot", "b [s_in...] c, [s_in...] s_out -> b s_out c", [s1, s2],
     np.einsum("bxyc,xys->bsc", s1, s2))
f64a, f64b = arr(3, 4, dtype=np.float64), arr(4, 2, dtype=np.float64)
case("dot_float64", "dot", "a b, b c -> a c", [f64a, f64b], f64a @ f64b)
ia, ib = arr(3, 4, dtype=np.int64), arr(4, 2, dtype=np.int64)
case("dot_int64", "dot", "a b, b c -> a c", [ia, ib], ia @ ib)
lin_x, lin_w = arr(2, 3, 5), arr(5, 4)
case("dot_linear_permuted_out", "dot", "b t c, c d -> d t b", [lin_x, lin_w], np.einsum("btc,cd->dtb", lin_x, lin_w))
case("dot_broadcast_out", "dot", "a b, b c -> a c k", [A, B], np.broadcast_to((A @ B)[:, :, None], (3, 5, 2)), "k=2")

# ---- reductions ---------------------------------------------------------------------------------
r = arr(2, 3, 4)
case("sum_bracket", "sum", "a [b] c", [r], r.sum(1))
case("sum_arrow", "sum", "a b c -> a", [r], r.sum((1, 2)))
case("sum_all", "sum", "[...]", [r], r.sum())
r4 = arr(2, 3, 4, 5)
case("sum_middle", "sum", "b [...] c", [r4], r4.sum((1, 2)))
case("sum_identity", "sum", "a b c", [r], r)
case("sum_ones_out", "sum", "b h w c -> b 1 1 c", [r4], r4.sum((1, 2), keepdims=True))
g12 = arr(2, 12)
case("sum_groups", "sum", "a (b [c])", [g12], g12.reshape(2, 4, 3).sum(2), "c=3")
case("sum_strided", "sum", "a ([b] c)", [g12], g12.reshape(2, 4, 3).sum(1), "c=3")
case("sum_permuted_out", "sum", "a [b] c -> c a", [r], r.sum(1).T)
ab = arr(3, 3, 2)
case("sum_diag_block", "sum", "[a a] b -> b", [ab], ab.sum((0, 1)))
dv = arr(2, 3, 3)
case("sum_diag_vectorized", "sum", "[a] b b -> b", [dv], np.einsum("abb->b", dv))
pool = arr(2, 8, 9, 3)
case("sum_pool", "sum", "b (s [ds])... c", [pool], pool.reshape(2, 4, 2, 3, 3, 3).sum((2, 4)), "ds=(2, 3)")
case("mean", "mean", "a [b c]", [r], r.mean((1, 2)))
case("var", "var", "a [b] c", [r], r.var(1))
case("std", "std", "[a] b c", [r], r.std(0))
case("prod", "prod", "a b [c]", [r], r.prod(2))
case("max", "max", "a [b] c", [r], r.max(1))
case("min", "min", "a b c -> c", [r], r.min((0, 1)))
case("logsumexp", "logsumexp", "a [b c]", [r * 30], np.log(np.exp((r * 30).astype(np.float64)).sum((1, 2))).astype(np.float32))
cz = arr(3, 4, dtype=np.int64)
case("count_nonzero", "count_nonzero", "a [b]", [cz], np.count_nonzero(cz, axis=1).astype(np.int64))
anyx = arr(3, 4, dtype=np.bool_)
case("any", "any", "a [b]", [anyx], anyx.any(1))
case("all", "all", "[a] b", [anyx], anyx.all(0))
i32 = arr(3, 4, dtype=np.int32)
case("sum_int32", "sum", "a [b]", [i32], i32.sum(1))

# ---- elementwise ---------------------------------------------------------------------------------
ea, eb = arr(3, 4), arr(4)
case("add_broadcast", "add", "a b, b", [ea, eb], ea + eb)
case("add_same", "add", "a b, a b", [ea, ea], ea + ea)
case("add_scalar", "add", "a b, -> a b", [ea, 1.5], ea + np.float32(1.5))
case("multiply_implicit_scalar", "multiply", "a b,", [ea, 3.0], ea * np.float32(3.0))
case("subtract_reorder", "subtract", "a b, b -> b a", [ea, eb], (ea - eb).T)
case("add_new_axis", "add", "a b, b -> a b c", [ea, eb], np.broadcast_to((ea + eb)[:, :, None], (3, 4, 2)), "c=2")
fa, fb = arr(3), arr(6)
case("add_flattened", "add", "a, (a b) -> b a", [fa, fb], (fa[:, None] + fb.reshape(3, 2)).T)
ca, cb = arr(2, 6, 3), arr(6)
case("add_cse", "add", "b (h w) c, (h w)", [ca, cb], ca + cb[None, :, None])
n1, n2, n3 = arr(3), arr(3), arr(3)
case("add_nary", "add", "a, a, a", [n1, n2, n3], n1 + n2 + n3)
case("maximum_nary", "maximum", "a, a, a", [n1, n2, n3], np.maximum(np.maximum(n1, n2), n3))
case("divide", "divide", "a b, b", [ea, eb], ea / eb)
case("true_divide_int", "true_divide", "a, a", [np.array([1, 7, -3], np.int64), np.array([2, 2, 2], np.int64)],
     np.array([1, 7, -3]) / np.array([2, 2, 2]))
fd1, fd2 = arr(5) * 3, arr(5)
case("floor_divide", "floor_divide", "a, a", [fd1, fd2], np.floor_divide(fd1, fd2))
case("logaddexp", "logaddexp", "a, a", [n1, n2], np.logaddexp(n1, n2))
mm = arr(3)
case("minimum", "minimum", "a b, a", [ea, mm], np.minimum(ea, mm[:, None]))
case("less", "less", "a, a", [n1, n2], n1 < n2)
case("less_equal", "less_equal", "a, a", [n1, n1], n1 <= n1)
case("greater", "greater", "a b, b", [ea, eb], ea > eb)
case("greater_equal", "greater_equal", "a, a", [n1, n2], n1 >= n2)
case("equal", "equal", "a, a", [np.array([1, 2, 3], np.int64), np.array([1, 0, 3], np.int64)], np.array([True, False, True]))
case("not_equal", "not_equal", "a, a", [np.array([1, 2, 3], np.int64), np.array([1, 0, 3], np.int64)], np.array([False, True, False]))
la, lb = arr(4, dtype=np.bool_), arr(4, dtype=np.bool_)
case("logical_and", "logical_and", "a, a", [la, lb], la & lb)
case("logical_or_float", "logical_or", "a, a", [np.array([0, 1.5, 0, -2], np.float32), np.array([0, 0, 3, 0], np.float32)],
     np.array([False, True, True, True]))
wm = arr(3, 4, dtype=np.bool_)
case("where_scalars", "where", "a b, , ", [wm, 1.0, -1.0], np.where(wm, 1.0, -1.0))
wx, wy = arr(3, 4), arr(4)
case("where_broadcast", "where", "a b, a b, b", [wm, wx, wy], np.where(wm, wx, wy))
case("add_int32_float32", "add", "a, a", [np.array([1, 2], np.int32), np.array([0.5, 0.25], np.float32)],
     np.array([1, 2], np.int32) + np.array([0.5, 0.25], np.float32))

# ---- softmax ---------------------------------------------------------------------------------------
sm = arr(2, 3, 5) * 5


def softmax(x, axes):
    m = x.max(axis=axes, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axes, keepdims=True)


case("softmax_last", "softmax", "... N [M]", [sm], softmax(sm, (2,)))
case("softmax_joint", "softmax", "b [h w]", [sm], softmax(sm, (1, 2)))
case("softmax_middle", "softmax", "a [b] c", [sm], softmax(sm, (1,)))
case("softmax_permuted", "softmax", "a [b] c -> c a [b]", [sm], softmax(sm, (1,)).transpose(2, 0, 1))
case("log_softmax", "log_softmax", "a b [c]", [sm], np.log(softmax(sm.astype(np.float64), (2,))).astype(np.float32))
case("softmax_no_brackets", "softmax", "a b c", [sm], np.ones_like(sm))
sf = arr(2, 6, 3)
case("softmax_flat_bracket", "softmax", "b [(h w)] c", [sf], softmax(sf, (1,)))
big = np.array([[1000.0, 1001.0, 999.0]], np.float32)
case("softmax_stable", "softmax", "a [b]", [big], softmax(big.astype(np.float64), (1,)).astype(np.float32))

# ---- ellipses left unexpanded (spec 2.3; einx's UnexpandedEllipsis) -----------------------------
# An ellipsis whose repetition count nothing fixes, written only inside flattened axes, is one axis
# (the product): its count cannot change the result. Added last so their draws change nothing above.
xu = arr(2, 6, 6, 2)
case("unexpanded_flat_passthrough", "id", "b (s...) (r...) c -> b (s...) r... c", [xu], xu.reshape(2, 6, 3, 2, 2),
     "r=(3, 2)")
xu3 = arr(2, 3, 4)
case("unexpanded_anonymous_in_bracket", "sum", "[(...)]... b", [xu3], xu3.sum(axis=(0, 1)))
xm = arr(24, 5, 1)
case("unexpanded_reduced_block", "mean", "(b... [a...]) c 1", [xm], xm.reshape(6, 4, 5, 1).mean(axis=1), "b=(2, 3)")
case("unexpanded_kept_block", "mean", "(b... [a...]) c 1", [xm], xm.reshape(6, 4, 5, 1).mean(axis=1), "a=(4,)")
xn = arr(6, 4)
case("unexpanded_nested", "id", "(a...)... -> (a...)...", [xn], xn)
case("unexpanded_nested_transposed", "id", "b (s...) -> (s...) b", [xn], xn.T)

with open(os.path.join(HERE, "cases.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} cases to {HERE}")
