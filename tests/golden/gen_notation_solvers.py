#!/usr/bin/python3
"""Golden values for the solvers, einc_vmap and the einx 0.3 layer (spec §3.8-§3.10), used by
tests/test_notation_solvers.c, tests/test_vmap.c, tests/test_compat03.c and tests/test_cli_solvers.c.

einx is not installable here, so every expected result is computed with plain NumPy (shapes of
arrays, einsum, meshgrid, reductions), written independently of einc:

  solve.txt   name|function|expression|constraints|shapes|expected
              shapes: operands separated by ';', each "2,3,4", "()" or "?" (unknown)
              expected: solve_axes "a=2;s=(2,3)", solve_shapes "(3,4);(3,4,3)", matches "True"/"False"
  compat.txt  the same fields as name|function|op|expression|constraints|options|input files|output files,
              separated by tabs (0.3 expressions contain "|"); options: "keepdims" or empty  (einc_apply03)
  vmap_*.npy  inputs and expected outputs of the C callbacks in tests/test_vmap.c

Run with Debian's interpreter: /usr/bin/python3 tests/golden/gen_notation_solvers.py
"""
import os
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notation_solvers")
os.makedirs(HERE, exist_ok=True)
for f in os.listdir(HERE):
    os.remove(os.path.join(HERE, f))
rng = np.random.default_rng(2024)


def arr(*shape, dtype=np.float32):
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-5, 6, size=shape).astype(dtype)
    return rng.uniform(-2.0, 2.0, size=shape).astype(dtype)


def save(name, x):
    np.save(os.path.join(HERE, name + ".npy"), np.asarray(x))
    return name + ".npy"


# ---- solvers ------------------------------------------------------------------------------------
solve = []


def shp(*operands):
    """Operands: an array (its shape), None (unknown) or a tuple."""
    out = []
    for o in operands:
        if o is None:
            out.append("?")
        else:
            s = o.shape if hasattr(o, "shape") else tuple(o)
            out.append("()" if len(s) == 0 else ",".join(str(d) for d in s))
    return ";".join(out)


def axes_text(d):
    items = []
    for k, v in d.items():
        v = np.asarray(v)
        items.append(f"{k}={int(v)}" if v.ndim == 0 else f"{k}=({','.join(str(int(t)) for t in v.ravel())})")
    return ";".join(items)


def shapes_text(shapes):
    return ";".join("(" + ",".join(str(d) for d in s) + ")" for s in shapes)


def case_axes(name, expr, operands, expected, constraints=""):
    solve.append("|".join([name, "solve_axes", expr, constraints, shp(*operands), axes_text(expected)]))


def case_shapes(name, expr, operands, expected, constraints=""):
    solve.append("|".join([name, "solve_shapes", expr, constraints, shp(*operands), shapes_text(expected)]))


def case_matches(name, expr, operands, expected, constraints=""):
    solve.append("|".join([name, "matches", expr, constraints, shp(*operands), "True" if expected else "False"]))


x34 = np.zeros((3, 4))
# spec §3.8 and einx's docstrings
case_shapes("shapes_doc", "a b, c b a", [x34, None], [x34.shape, (x34.shape[0], x34.shape[1], 3)], "c=3")
case_axes("axes_doc", "a b, c b a", [x34, None], {"a": 3, "b": 4, "c": 3}, "c=3")
x54 = np.zeros((5, 4))
case_axes("axes_concat", "(a + b) c", [x54], {"a": x54.shape[0] - 3, "b": 3, "c": x54.shape[1]}, "b=3")
x2463 = np.zeros((2, 4, 6, 3))
case_axes("axes_pool", "b (s [ds])... c", [x2463],
          {"b": 2, "s": [x2463.shape[1] // 2, x2463.shape[2] // 2], "ds": [2, 2], "c": 3}, "ds=2")
case_axes("axes_ellipsis_unknown", "a..., c a...", [x34, None], {"a": list(x34.shape), "c": 3}, "c=3")
case_axes("axes_unnamed_left_out", "a 3", [np.zeros((2, 3))], {"a": 2})
case_axes("axes_anonymous_left_out", "... c", [np.zeros((2, 3, 5))], {"c": 5})
case_axes("axes_ellipsis_tuple", "b...", [None], {"b": [2, 3]}, "b=(2, 3)")
case_axes("axes_empty_ellipsis_left_out", "a b...", [np.zeros(7)], {"a": 7})
case_axes("axes_brackets_mean_nothing", "a [b c]", [np.zeros((2, 3, 4))], {"a": 2, "b": 3, "c": 4})
case_axes("axes_square", "(a a)", [np.zeros(16)], {"a": 4})
case_axes("axes_flat_with_constraint", "b (h w) c", [np.zeros((2, 12, 3))], {"b": 2, "h": 3, "w": 4, "c": 3}, "h=3")
case_axes("axes_nested_ellipsis", "(s [ds])...", [np.zeros((6, 6))], {"s": [3, 2], "ds": [2, 3]}, "ds=(2, 3)")
case_axes("axes_from_constraint_only", "a b", [None], {"a": 2, "b": 5}, "a=2, b=5")
case_shapes("shapes_cse", "b (h w) c", [np.zeros((2, 12, 3))], [(2, 12, 3)])
case_shapes("shapes_cse_concat", "(a + b) c", [x54], [x54.shape])
case_shapes("shapes_unknown_from_other", "a (b c), c b a", [np.zeros((2, 12)), None], [(2, 12), (4, 3, 2)], "b=3")
case_shapes("shapes_ellipsis", "b... c, c b...", [np.zeros((2, 3, 4)), None], [(2, 3, 4), (4, 2, 3)])
case_shapes("shapes_scalar", "", [np.zeros(())], [()])
case_matches("matches_doc", "a b", [x34], True)
case_matches("matches_doc_rank", "a b c", [x34], False)
case_matches("matches_cse", "b (h w) c", [np.zeros((2, 12, 3))], True)
case_matches("matches_concat", "(a + b) c", [x54], True)
case_matches("matches_concat_in_brackets", "[(a + b)] c", [x54], False)
case_matches("matches_contradiction", "a b, b", [x34, np.zeros(5)], False)
case_matches("matches_constraint", "a b", [x34], True, "a=3")
case_matches("matches_constraint_wrong", "a b", [x34], False, "a=4")
case_matches("matches_unknown", "a b, b", [x34, None], True)
case_matches("matches_arrow", "a -> a", [np.zeros(3)], False)
case_matches("matches_count", "a, b", [np.zeros(3)], False)
case_matches("matches_syntax", "a (b", [np.zeros(3)], False)
case_matches("matches_undetermined", "(a b)", [np.zeros(6)], True)
with open(os.path.join(HERE, "solve.txt"), "w") as f:
    f.write("\n".join(solve) + "\n")

# ---- einx 0.3 functions (einc_apply03) --------------------------------------------------------------
compat = []


def case03(name, func, op, expr, inputs, outputs, constraints="", options=""):
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    ins = [save(f"{name}.in{i}", x) for i, x in enumerate(inputs)]
    outs = [save(f"{name}.out{i}", y) for i, y in enumerate(outputs)]
    compat.append("\t".join([name, func, op, expr, constraints, options, ",".join(ins), ",".join(outs)]))


def coords(*sizes):
    return np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1).astype(np.int32)


# arange ("a b [2]" with a=5, b=10 is the spec's example; smaller here)
case03("arange_2d", "arange", "", "a b [2]", [], coords(3, 4), "a=3, b=4")
case03("arange_swapped", "arange", "", "a b -> b a [2]", [], coords(2, 3).transpose(1, 0, 2), "a=2, b=3")
case03("arange_1d", "arange", "", "a", [], np.arange(5, dtype=np.int32), "a=5")
case03("arange_named_stack", "arange", "", "a b [n]", [], coords(2, 3), "a=2, b=3")
case03("arange_ellipsis", "arange", "", "b... [n]", [], coords(2, 3), "b=(2, 3)")
case03("arange_flat", "arange", "", "(a b) [2]", [], coords(2, 3).reshape(6, 2), "a=2, b=3")
case03("arange_pipe", "arange", "", "a b | a b [2]", [], coords(2, 2), "a=2, b=2")
# dot shorthands: the second tensor's expression is the bracketed names in order
x, w = arr(2, 3), arr(3, 4)
case03("dot_shorthand", "dot", "", "b [c_in] -> b [c_out]", [x, w], x @ w)
case03("dot_nested_arrow", "dot", "", "b [c1->c2]", [x, w], x @ w)
case03("dot_choice_pipe", "dot", "", "b [c1|c2]", [x, w], x @ w)
ab, abc = arr(2, 3), arr(2, 3, 4)
case03("dot_shared_names", "dot", "", "[a b] -> [a c]", [ab, abc], np.einsum("ab,abc->ac", ab, abc))
xe, we = arr(2, 3, 4), arr(4, 5)
case03("dot_ellipsis", "dot", "", "b... [c1] -> b... [c2]", [xe, we], np.einsum("xyc,cd->xyd", xe, we))
case03("dot_ellipsis_nested", "dot", "", "b... [c1->c2]", [xe, we], np.einsum("xyc,cd->xyd", xe, we))
mv, vv = arr(3, 4), arr(4)
case03("dot_matrix_vector", "dot", "", "a [b] -> a", [mv, vv], mv @ vv)
case03("dot_matrix_vector_pipe", "dot", "", "a [b|]", [mv, vv], mv @ vv)
vm = arr(4, 3)
case03("dot_vector_matrix", "dot", "", "[a] -> [b]", [vv, vm], vv @ vm)
case03("dot_full_form", "dot", "", "a b, b c -> a c", [x, w], x @ w)
# elementwise shorthand: the second tensor's expression is the bracketed part
bc, c = arr(2, 3), arr(3)
case03("add_shorthand", "add", "", "b [c]", [bc, c], bc + c)
bgc, c2 = arr(2, 3, 8), arr(2)
case03("add_shorthand_group", "add", "", "b... (g [c])", [bgc, c2], (bgc.reshape(2, 3, 4, 2) + c2).reshape(2, 3, 8))
case03("multiply_shorthand", "multiply", "", "b [c]", [bc, c], bc * c)
case03("elementwise_add", "elementwise", "add", "a b, b", [bc, c], bc + c)
case03("elementwise_shorthand", "elementwise", "subtract", "a [b]", [bc, c], bc - c)
case03("elementwise_less", "elementwise", "less", "a b, b -> a b", [bc, c], bc < c)
case03("elementwise_where", "elementwise", "where", "a b, a b, a b", [bc > 0, bc, -bc], np.where(bc > 0, bc, -bc))
# reduce(op=...) and the reductions
r = arr(2, 3, 4)
case03("reduce_sum", "reduce", "sum", "a [b] c", [r], r.sum(1))
case03("reduce_mean_arrow", "reduce", "mean", "a b c -> a", [r], r.mean((1, 2)))
case03("reduce_max", "reduce", "max", "[a] b c", [r], r.max(0))
case03("reduce_logsumexp", "reduce", "logsumexp", "a [b c]", [r], np.log(np.exp(r.astype(np.float64)).sum((1, 2))).astype(np.float32))
case03("sum_keepdims", "sum", "", "a [b] c", [r], r.sum(1, keepdims=True), "", "keepdims")
case03("reduce_keepdims", "reduce", "var", "a [b c]", [r], r.var((1, 2))[:, None], "", "keepdims")
pool = arr(2, 4, 6, 3)
case03("reduce_pool", "reduce", "sum", "b (s [s2])... c", [pool], pool.reshape(2, 2, 2, 3, 2, 3).sum((2, 4)), "s2=2")
case03("var_all_but_channel", "var", "", "[...] c", [r], r.reshape(-1, 4).var(0))
# vmap_with_axis(op=...)
sm = arr(3, 5)
e = np.exp(sm.astype(np.float64) - sm.max(1, keepdims=True))
case03("vmap_with_axis_softmax", "vmap_with_axis", "softmax", "a [b]", [sm], (e / e.sum(1, keepdims=True)).astype(np.float32))
case03("vmap_with_axis_log_softmax", "vmap_with_axis", "log_softmax", "[a] b", [sm],
       (sm - np.log(np.exp(sm.astype(np.float64)).sum(0, keepdims=True))).astype(np.float32))
case03("vmap_with_axis_sum", "vmap_with_axis", "sum", "a [b] -> a", [sm], sm.sum(1))
case03("softmax_03", "softmax", "", "a [b]", [sm], (e / e.sum(1, keepdims=True)).astype(np.float32))
# rearrange, with 0.3's "|"
q = arr(2, 48, 2, 2)
case03("rearrange_attention", "rearrange", "", "... (qkv nh dh) H W -> qkv ... nh (H W) dh", [q],
       q.reshape(2, 3, 4, 4, 2, 2).transpose(1, 0, 2, 4, 5, 3).reshape(3, 2, 4, 4, 4), "qkv=3, nh=4, dh=4")
case03("rearrange_pipe", "rearrange", "", "a b | b a", [x], x.T)
with open(os.path.join(HERE, "compat.txt"), "w") as f:
    f.write("\n".join(compat) + "\n")

# ---- einc_vmap: inputs and expected outputs of the callbacks in tests/test_vmap.c -----------------------
va, vb = arr(2, 3), arr(4, 3)
save("vmap_outer_add.in0", va)
save("vmap_outer_add.in1", vb)
save("vmap_outer_add.out0", va[:, None, :] + vb[None, :, :])         # "a [c], b [c] -> a b [c]"
vn = arr(3, 4)
save("vmap_norm.in0", vn)
save("vmap_norm.out0", np.sqrt((vn.astype(np.float64) ** 2).sum(1)).astype(np.float32))   # "b [c] -> b"
vp = arr(2, 4, 6, 3)
save("vmap_pool.in0", vp)
save("vmap_pool.out0", vp.reshape(2, 2, 2, 3, 2, 3).sum((2, 4)))    # "b (s [ds])... c -> b s... c"
vd = arr(3, 3, 2)
save("vmap_diag.in0", vd)
save("vmap_diag.out0", np.einsum("aac->ac", vd) * 2)                 # "a a [c] -> a [c]", doubled
vt = arr(2, 3, 4)
save("vmap_transposed.in0", vt)
save("vmap_transposed.out0", vt.transpose(2, 0, 1).sum(2))          # "b [c] a -> a b", sum over c
vf = arr(2, 12)
save("vmap_flat.in0", vf)
save("vmap_flat.out0", vf[:, ::-1])                                   # "b ([h w]) -> b ([h w])": one 1-d argument, reversed
