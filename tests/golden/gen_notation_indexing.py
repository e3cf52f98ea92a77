#!/usr/bin/python3
"""Golden values for the indexing operations get_at, set_at, add_at, subtract_at
(tests/test_notation_indexing.c runs every case through einc_apply and through the einc tool).

einx is not installable here, so each expected result is computed with plain NumPy (fancy
indexing, np.take_along_axis, np.put_along_axis, np.add.at, np.subtract.at) or, where einc
defines the result itself (set_at with duplicate coordinates: the last update in row-major order
of the loop wins; updates broadcast by axis name, which einx 0.4.3's own NumPy backend gets
wrong, spec §3.5), with an explicit Python loop that spells out the loop notation.

Each case writes its inputs and expected output as .npy files and one line to cases.txt:

    name|op|expression|constraints|input files|output files

Run with Debian's interpreter: /usr/bin/python3 tests/golden/gen_notation_indexing.py
"""
import itertools
import os

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notation_indexing")
os.makedirs(HERE, exist_ok=True)
for f in os.listdir(HERE):
    os.remove(os.path.join(HERE, f))
rng = np.random.default_rng(2024)
lines = []


def values(*shape, dtype=np.float32):
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-50, 50, size=shape).astype(dtype)
    return rng.uniform(-2.0, 2.0, size=shape).astype(dtype)


def coords(n, *shape, dtype=np.int64, negative=True):
    """Coordinates for an axis of length n, some of them negative (Python's rule)."""
    lo = -n if negative else 0
    return rng.integers(lo, n, size=shape).astype(dtype)


def case(name, op, expr, inputs, output, constraints=""):
    ins = []
    for i, x in enumerate(inputs):
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            ins.append(repr(x))  # a plain number: a 0-d input given on the command line
            continue
        f = f"{name}.in{i}.npy"
        np.save(os.path.join(HERE, f), np.asarray(x))
        ins.append(f)
    f = f"{name}.out0.npy"
    np.save(os.path.join(HERE, f), np.asarray(output))
    lines.append("|".join([name, op, expr, constraints, ",".join(ins), f]))


# ---- get_at: every example of spec §3.5 -------------------------------------------------------------
x = values(10)
i = coords(10, 6)
case("get_h_p", "get_at", "[h], p -> p", [x, i], x[i])

x = values(4, 5, 3)
ih, iw = coords(4, 6, dtype=np.int32), coords(5, 6)  # int32 and int64 coordinates together
case("get_hw_c_two_coordinate_tensors", "get_at", "[h w] c, i, i -> i c", [x, ih, iw], x[ih, iw, :])

x = values(2, 3, 7)
i = coords(7, 2, 3)
case("get_ellipsis", "get_at", "... [d], ... -> ...", [x, i], np.take_along_axis(x, i[..., None], axis=-1)[..., 0])

table = values(10, 4)
ids = coords(10, 2, 5, negative=False)
case("get_embedding", "get_at", "[v] c, b t -> b t c", [table, ids], table[ids])
ids32 = ids.astype(np.int32)
case("get_embedding_int32", "get_at", "[v] c, b t -> b t c", [table, ids32], table[ids32])

x = values(2, 16, 3, 2)
c = np.stack([coords(16, 2, 4), coords(3, 2, 4)], axis=-1)  # (b, p, 2)
b = np.arange(2)[:, None]
case("get_b16w_points", "get_at", "b [16 w] c, b p [2] -> b p c", [x, c], x[b, c[..., 0], c[..., 1], :])

x = values(2, 3, 5)
i = coords(5, 2, 3)
case("get_take_along_axis", "get_at", "b p [i,->]", [x, i], np.take_along_axis(x, i[..., None], axis=2)[..., 0])

x = values(2, 4, 5, 3)
c = np.stack([coords(4, 6, dtype=np.int32), coords(5, 6, dtype=np.int32)], axis=-1)  # (p, 2), shared by every b
case("get_broadcast_coordinates", "get_at", "b [h w] c, p [2] -> b p c", [x, c], x[:, c[:, 0], c[:, 1], :])

x = values(3, 4, 5)
c2, c1 = coords(3, 6, 2), coords(5, 6)
expected = x[c2[:, 0], c2[:, 1], c1]
case("get_coordinates_split_2_1", "get_at", "[a b c], p [2], p -> p", [x, c2, c1], expected)

x = values(6)
i = coords(6, 4)
case("get_new_output_axis", "get_at", "[h], p -> p q", [x, i], np.broadcast_to(x[i][:, None], (4, 2)), "q=2")

x = values(5, 3, dtype=np.int64)
i = coords(5, 4)
case("get_int64_values", "get_at", "[h] c, p -> c p", [x, i], x[i].T)

# a diagonal of the coordinate tensor: only its diagonal is read (the 99s elsewhere would be out of range)
x = values(4, 6)
m = np.full((4, 4), 99, dtype=np.int64)
np.fill_diagonal(m, coords(6, 4))
case("get_diagonal_coordinates", "get_at", "a [h], a a -> a", [x, m], x[np.arange(4), np.diag(m)])

# ---- put_along_axis ------------------------------------------------------------------------------
x = values(2, 3, 5)
i = coords(5, 2, 3)
u = values(2, 3)
y = x.copy()
np.put_along_axis(y, i[..., None], u[..., None], axis=2)
case("set_put_along_axis", "set_at", "b p [i,,->i]", [x, i, u], y)

# ---- duplicates ------------------------------------------------------------------------------------
x = values(8)
i = np.array([1, 5, 1, -7, 3, 5, 5, 0], dtype=np.int64)  # -7 is 1 again
u = values(8)


def set_loop(x, i, u):
    """set_at("[h], p, p"): the last update in row-major order wins."""
    y = x.copy()
    for p in range(len(i)):
        y[i[p]] = u[p]
    return y


case("set_duplicates", "set_at", "[h], p, p", [x, i, u], set_loop(x, i, u))
y = x.copy()
np.add.at(y, i, u)
case("add_duplicates", "add_at", "[h], p, p", [x, i, u], y)
y = x.copy()
np.subtract.at(y, i, u)
case("subtract_duplicates", "subtract_at", "[h], p, p -> [h]", [x, i, u], y)
y = x.copy()
np.add.at(y, i.astype(np.int32), 2.5)
case("add_scalar_update", "add_at", "[h], p, ", [x, i.astype(np.int32), 2.5], y)

x = values(2, 4, 5, 3)
c = np.stack([coords(4, 2, 6), coords(5, 2, 6)], axis=-1)
c[0, 3] = c[0, 1]  # a duplicate point in batch 0
c[1, 5] = c[1, 0]
u = values(2, 6, 3)
b = np.arange(2)[:, None]
y = x.copy()
np.add.at(y, (b, c[..., 0], c[..., 1]), u)
case("add_points", "add_at", "b [h w] c, b p [2], b p c -> b [h w] c", [x, c, u], y)
y = x.copy()
np.subtract.at(y, (b, c[..., 0], c[..., 1]), u)
case("subtract_points", "subtract_at", "b [h w] c, b p [2], b p c", [x, c, u], y)
y = x.copy()
for bb, p in itertools.product(range(2), range(6)):
    y[bb, c[bb, p, 0], c[bb, p, 1], :] = u[bb, p, :]
case("set_points", "set_at", "b [h w] c, b p [2], b p c -> b [h w] c", [x, c, u], y)

# updates broadcast by name (einx 0.4.3's NumPy backend cycles the values here instead)
uc = values(3)
y = x.copy()
for bb, p in itertools.product(range(2), range(6)):
    y[bb, c[bb, p, 0], c[bb, p, 1], :] = uc
case("set_points_broadcast_update", "set_at", "b [h w] c, b p [2], c", [x, c, uc], y)
up = values(6, 3)
y = x.copy()
for bb, p in itertools.product(range(2), range(6)):
    y[bb, c[bb, p, 0], c[bb, p, 1], :] += up[p, :]
case("add_points_update_without_b", "add_at", "b [h w] c, b p [2], p c", [x, c, up], y)

# rows of a table (the gradient of an embedding lookup)
table = values(6, 4)
ids = np.array([[0, 2, 2], [5, 0, 2]], dtype=np.int64)
g = values(2, 3, 4)
y = table.copy()
np.add.at(y, ids, g)
case("add_embedding_rows", "add_at", "[v] c, b t, b t c", [table, ids, g], y)
y = table.copy()
for bb, t in itertools.product(range(2), range(3)):
    y[ids[bb, t]] = g[bb, t]
case("set_embedding_rows", "set_at", "[v] c, b t, b t c", [table, ids, g], y)

# the output's vectorized axes permuted, and a scatter axis p
x = values(2, 5, 3)
i = coords(5, 4)
u = values(4, 3)
y = x.copy()
for a, p, cc in itertools.product(range(2), range(4), range(3)):
    y[a, i[p], cc] += u[p, cc]
case("add_permuted_output", "add_at", "a [h] c, p, p c -> c [h] a", [x, i, u], y.transpose(2, 1, 0))

# a new output axis: the value tensor is broadcast along it first
x = values(5)
i = coords(5, 3)
u = values(2, 3)
y = np.broadcast_to(x[None, :], (2, 5)).copy()
for q, p in itertools.product(range(2), range(3)):
    y[q, i[p]] = u[q, p]
case("set_new_output_axis", "set_at", "[h], p, q p -> q [h]", [x, i, u], y)

# integer values; coordinates split over two tensors
x = values(3, 4, dtype=np.int32)
i1, i2 = coords(3, 5, dtype=np.int32), coords(4, 5)
u = values(5, dtype=np.int32)
y = x.copy()
np.add.at(y, (i1, i2), u)
case("add_int32_values", "add_at", "[a b], p, p, p", [x, i1, i2, u], y)

with open(os.path.join(HERE, "cases.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} cases written to {HERE}")
