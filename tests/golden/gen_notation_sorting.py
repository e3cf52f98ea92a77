#!/usr/bin/python3
"""Golden values for argmax, argmin, sort, argsort, flip and roll (tests/test_notation_sorting.c,
tests/test_cli_sorting.c).

einx is not installable here, so every expected result is computed with plain NumPy, written
independently of einc: the bracketed axes are moved to the end (np.moveaxis), then
np.argmax/np.argmin over the flattened block + np.unravel_index, np.sort/np.argsort with
kind="stable", np.flip, np.roll, and the result is rearranged into the output expression by hand.
Each case writes its input and expected output as .npy files and one line to cases.txt:

    name|op|expression|constraints|shift|input files|output files

(shift: roll's shift as the command line takes it, "1" or "1,-2"; empty for the other ops).
Run with Debian's interpreter: /usr/bin/python3 tests/golden/gen_notation_sorting.py
"""
import os
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notation_sorting")
os.makedirs(HERE, exist_ok=True)
for f in os.listdir(HERE):
    os.remove(os.path.join(HERE, f))
rng = np.random.default_rng(20240605)
lines = []


def arr(*shape, dtype=np.float32):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-3, 4, size=shape).astype(dtype)  # few values: many ties
    return rng.uniform(-2.0, 2.0, size=shape).astype(dtype)


def case(name, op, expr, x, y, constraints="", shift=""):
    np.save(os.path.join(HERE, f"{name}.in0.npy"), np.asarray(x))
    np.save(os.path.join(HERE, f"{name}.out0.npy"), np.asarray(y))
    lines.append("|".join([name, op, expr, constraints, shift, f"{name}.in0.npy", f"{name}.out0.npy"]))


def argfind(x, axes, fn):
    """fn (np.argmax/np.argmin) over the axes `axes` of x jointly (in that order, row-major), as
    coordinates stacked on a new last axis: shape = x without `axes` + (len(axes),)."""
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, rest + list(axes))
    block = [x.shape[d] for d in axes]
    flat = fn(moved.reshape(moved.shape[: len(rest)] + (-1,)), axis=-1)
    return np.stack(np.unravel_index(flat, block), axis=-1).astype(np.int64)


def along(x, axis, fn):
    """fn (a 1-d -> 1-d function) applied to every row of x along `axis`."""
    return np.apply_along_axis(fn, axis, x)


def stable_sort(v):
    return np.sort(v, kind="stable")


def stable_argsort(v):
    return np.argsort(v, kind="stable").astype(np.int64)


# ---- argmax / argmin (spec §3.6) -----------------------------------------------------------------
x = arr(2, 3, 4)
for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    case(f"{op}_two_axes", op, "a [b c] -> a [2]", x, argfind(x, [1, 2], fn))
    case(f"{op}_no_output_axis", op, "a [b] c -> a c", x, argfind(x, [1], fn)[..., 0])
    case(f"{op}_implicit_one", op, "a [b] c", x, argfind(x, [1], fn).transpose(0, 2, 1))  # (a, 1, c)
xb = arr(2, 3, 4, 5)
case("argmax_implicit_two", "argmax", "b [h w] c", xb, argfind(xb, [1, 2], np.argmax).transpose(0, 2, 1))
case("argmin_explicit_two", "argmin", "b [h w] c -> b [2] c", xb, argfind(xb, [1, 2], np.argmin).transpose(0, 2, 1))
case("argmax_named_coords_first", "argmax", "a [b c] -> [n] a", x, argfind(x, [1, 2], np.argmax).T)
case("argmax_interleaved", "argmax", "[a] b [c] -> [2] b", x, argfind(x, [0, 2], np.argmax).T)
case("argmax_all", "argmax", "[a b c]", x, argfind(x, [0, 1, 2], np.argmax))
v = arr(7)
case("argmax_scalar_output", "argmax", "[a] ->", v, np.int64(np.argmax(v)))
case("argmax_ellipsis_in_brackets", "argmax", "b [s...] c", xb, argfind(xb, [1, 2], np.argmax).transpose(0, 2, 1))
xg = arr(2, 12)
case("argmax_in_group", "argmax", "a (g [c]) -> a g", xg, np.argmax(xg.reshape(2, 3, 4), axis=-1).astype(np.int64),
     "c=4")
ties = np.array([[1, 3, 3, 0], [2, 2, 2, 2], [-1, 0, -1, 0]], dtype=np.int32)
case("argmax_ties_int32", "argmax", "a [b]", ties, argfind(ties, [1], np.argmax))
case("argmin_ties_int32", "argmin", "a [b]", ties, argfind(ties, [1], np.argmin))
ti64 = arr(3, 2, 4, dtype=np.int64)
case("argmax_int64_two", "argmax", "a [b c]", ti64, argfind(ti64, [1, 2], np.argmax))
tb = arr(3, 5, dtype=np.bool_)
tb[1] = False
case("argmax_bool", "argmax", "a [b]", tb, argfind(tb, [1], np.argmax))
case("argmin_bool", "argmin", "a [b]", tb, argfind(tb, [1], np.argmin))
xn = arr(3, 5)
xn[0, 2] = np.nan
xn[0, 4] = np.nan
xn[2, 0] = np.inf
xn[2, 3] = -np.inf
for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    case(f"{op}_nan_inf", op, "a [b]", xn, argfind(xn, [1], fn))
xd = arr(3, 4, dtype=np.float64)
case("argmin_float64_transposed_out", "argmin", "a [b] -> [1] a", xd, argfind(xd, [1], np.argmin).T)

# ---- sort / argsort (spec §3.7) --------------------------------------------------------------------
for op, fn in (("sort", stable_sort), ("argsort", stable_argsort)):
    case(f"{op}_last", op, "a b [c]", x, along(x, 2, fn))
    case(f"{op}_middle", op, "a [b] c", x, along(x, 1, fn))
    case(f"{op}_permuted", op, "a [b] c -> c a [b]", x, along(x, 1, fn).transpose(2, 0, 1))
    case(f"{op}_first", op, "[a] b", x[:, :, 0], along(x[:, :, 0], 0, fn))
    ti = arr(3, 9, dtype=np.int32)
    case(f"{op}_ties_int32", op, "a [b]", ti, along(ti, 1, fn))
    tl = arr(2, 3, 17, dtype=np.int64)
    case(f"{op}_ties_int64", op, "a b [c]", tl, along(tl, 2, fn))
    bb = arr(4, 6, dtype=np.bool_)
    case(f"{op}_bool", op, "a [b]", bb, along(bb, 1, fn))
    xs = arr(2, 6)
    xs[0, 1] = np.nan
    xs[0, 4] = np.nan
    xs[1, 0] = -np.inf
    xs[1, 5] = np.inf
    case(f"{op}_nan_last", op, "a [b]", xs, along(xs, 1, fn))
    zeros = np.array([0.0, -0.0, 1.5, 0.0, -0.0, -1.0, 1.5], dtype=np.float64)
    case(f"{op}_signed_zeros", op, "[a]", zeros, fn(zeros))
    long = arr(2, 300)
    long[:, ::7] = 0.5  # runs of equal values across merge boundaries
    case(f"{op}_long_rows", op, "a [b]", long, along(long, 1, fn))
    xe = arr(2, 5, 3)
    case(f"{op}_ellipsis", op, "b [s...] c", xe, along(xe, 1, fn))
    xw = arr(2, 3)
    case(f"{op}_broadcast_output", op, "a [b] -> a c [b]", xw,
         np.broadcast_to(along(xw, 1, fn)[:, None, :], (2, 4, 3)), "c=4")

# ---- flip --------------------------------------------------------------------------------------------
case("flip_one", "flip", "a [b] c", x, np.flip(x, axis=1))
case("flip_two", "flip", "a [b c]", x, np.flip(x, axis=(1, 2)))
case("flip_pairs", "flip", "... (g [c])", xg, np.flip(xg.reshape(2, 6, 2), axis=2).reshape(2, 12), "c=2")
case("flip_permuted", "flip", "a [b] c -> c [b] a", x, np.flip(x, axis=1).transpose(2, 1, 0))
case("flip_flattened_out", "flip", "a [b] c -> (a [b]) c", x, np.flip(x, axis=1).reshape(6, 4))
case("flip_none", "flip", "a b", x[0], x[0])
ti = arr(3, 5, dtype=np.int64)
case("flip_int64", "flip", "[a] b", ti, np.flip(ti, axis=0))
bb = arr(3, 4, dtype=np.bool_)
case("flip_bool", "flip", "a [b]", bb, np.flip(bb, axis=1))
case("flip_broadcast_output", "flip", "a [b] -> a c [b]", xw, np.broadcast_to(np.flip(xw, 1)[:, None, :], (2, 4, 3)),
     "c=4")

# ---- roll --------------------------------------------------------------------------------------------
case("roll_one", "roll", "a [b] c", x, np.roll(x, 1, axis=1), shift="1")
case("roll_tuple", "roll", "a [b c]", x, np.roll(x, (1, -2), axis=(1, 2)), shift="1,-2")
case("roll_int_every_axis", "roll", "a [b c]", x, np.roll(x, 2, axis=(1, 2)), shift="2")
case("roll_negative", "roll", "[a] b", x[0], np.roll(x[0], -1, axis=0), shift="-1")
case("roll_beyond_length", "roll", "a [b]", x[0], np.roll(x[0], 11, axis=1), shift="11")
case("roll_multiple_of_length", "roll", "a [b]", x[0], np.roll(x[0], -8, axis=1), shift="-8")
case("roll_permuted", "roll", "a [b] c -> c a [b]", x, np.roll(x, -4, axis=1).transpose(2, 0, 1), shift="-4")
case("roll_three_axes", "roll", "[a b c]", x, np.roll(x, (1, 2, 3), axis=(0, 1, 2)), shift="1,2,3")
case("roll_in_group", "roll", "a (g [c])", xg, np.roll(xg.reshape(2, 3, 4), 1, axis=2).reshape(2, 12), "c=4", "1")
ti = arr(3, 5, dtype=np.int32)
case("roll_int32", "roll", "a [b]", ti, np.roll(ti, 2, axis=1), shift="2")
case("roll_bool", "roll", "a [b]", bb, np.roll(bb, -1, axis=1), shift="-1")
case("roll_none", "roll", "a b", x[0], x[0], shift="3")

# ---- argmax / argmin with repeated axes (added after the rest so their draws change nothing above)
# "b b" outside the brackets takes the diagonal; "[h h]" inside is the whole h x h block (spec 2.1).
# einx 0.4.3 returns other indices for the first case: its graph transposes np.diagonal's result
# as if the diagonal axis came first (docs/notation.md, differences).
xr = arr(3, 3, 4, 4, 5)
diag = np.stack([xr[i, i] for i in range(3)])  # (b, h, h, c)
for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    case(f"{op}_repeated_inside_and_outside", op, "b b [h h] c -> b [2] c", xr,
         argfind(diag, [1, 2], fn).transpose(0, 2, 1), "h=4")
xr2 = arr(4, 3, 4, 3)
case("argmax_repeated_interleaved", "argmax", "[h] b [h] b -> b [2]", xr2,
     argfind(np.stack([xr2[:, i, :, i] for i in range(3)]), [1, 2], np.argmax))

with open(os.path.join(HERE, "cases.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} cases in {HERE}")
