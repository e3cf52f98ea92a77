#!/usr/bin/python3
"""Golden data for tests/test_linalg.c: matmul, bmm and conv2d_1x1 against NumPy.

Run with Debian's interpreter from the repository root:  /usr/bin/python3 tests/golden/gen_linalg.py
Each case <name> writes its inputs <name>_a.npy / <name>_b.npy (conv: _x, _w, _bias) and the
expected result <name>_out.npy into tests/golden/linalg/. Shapes are kept small (the whole set is
a few tens of KB). Where the C test applies a view (transpose, slice, flip, expand) to an input,
the expected result here applies the same view, spelled out next to the case.
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linalg")
rng = np.random.default_rng(20240611)


def save(name, **arrays):
    for key, arr in arrays.items():
        np.save(os.path.join(OUT, f"{name}_{key}.npy"), np.array(arr, order="C"))


def randf(shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def randi(shape, dtype, lo=-9, hi=10):
    return rng.integers(lo, hi, size=shape).astype(dtype)


def mm(name, a, b):
    """Plain matmul case; floats computed in float64 and rounded once, as the truth."""
    out = np.matmul(a, b)
    if out.dtype == np.float32:
        out = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)
    save(name, a=a, b=b, out=out)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy"):
            os.remove(os.path.join(OUT, f))

    # dtypes and promotion (NumPy: int with float -> float64, wider within a kind)
    mm("f32", randf((5, 7), np.float32), randf((7, 3), np.float32))
    mm("f64", randf((4, 6), np.float64), randf((6, 5), np.float64))
    mm("i32", randi((3, 4), np.int32), randi((4, 5), np.int32))
    mm("i64", randi((3, 4), np.int64), randi((4, 2), np.int64))
    mm("f32_f64", randf((3, 4), np.float32), randf((4, 2), np.float64))
    mm("i32_f32", randi((3, 4), np.int32), randf((4, 2), np.float32))
    mm("i32_i64", randi((2, 5), np.int32), randi((5, 3), np.int64))
    mm("i64_f64", randi((2, 3), np.int64), randf((3, 4), np.float64))
    # integer overflow wraps around (two's complement), as in NumPy
    mm("i32_wrap", randi((2, 3), np.int32, 1 << 20, 1 << 24), randi((3, 2), np.int32, 1 << 20, 1 << 24))
    mm("i64_wrap", randi((2, 3), np.int64, 1 << 40, 1 << 50), randi((3, 2), np.int64, 1 << 40, 1 << 50))

    # 1-d promotion
    mm("vec_mat", randf((7,), np.float32), randf((7, 3), np.float32))
    mm("mat_vec", randf((5, 7), np.float32), randf((7,), np.float32))
    mm("vec_vec", randf((6,), np.float64), randf((6,), np.float64))
    mm("batch_vec", randf((2, 5, 7), np.float32), randf((7,), np.float32))
    mm("vec_batch", randf((7,), np.float32), randf((2, 7, 3), np.float32))

    # broadcast batch dimensions
    mm("bcast", randf((2, 1, 4, 5), np.float32), randf((3, 5, 6), np.float32))
    mm("bcast_a", randf((4, 5), np.float32), randf((2, 5, 3), np.float32))
    mm("bcast_b", randf((2, 3, 4, 5), np.float32), randf((5, 6), np.float32))
    mm("bmm", randf((3, 4, 5), np.float32), randf((3, 5, 2), np.float32))
    mm("bmm_i64", randi((2, 3, 4), np.int64), randi((2, 4, 3), np.int64))

    # views; the C test builds the same views of the saved inputs
    a = randf((5, 6), np.float32)            # C: transpose(a, 0, 1) -> (6, 5)
    b = randf((5, 3), np.float32)
    save("t_a", a=a, b=b, out=(a.T.astype(np.float64) @ b).astype(np.float32))
    a = randf((6, 5), np.float64)
    b = randf((3, 5), np.float64)            # C: transpose(b, 0, 1) -> (5, 3)
    save("t_b", a=a, b=b, out=a @ b.T)
    a = randf((4, 5, 6), np.float64)         # C: transpose(a, 1, 2), transpose(b, 1, 2)
    b = randf((4, 3, 5), np.float64)
    save("t_ab", a=a, b=b, out=np.swapaxes(a, 1, 2) @ np.swapaxes(b, 1, 2))
    a = randf((6, 5), np.float64)            # C: flip(a, all), flip(b, axis 0)
    b = randf((5, 4), np.float64)
    save("flip", a=a, b=b, out=a[::-1, ::-1] @ b[::-1])
    a = randf((6, 10), np.float64)           # C: slice(a, 1, ::2), slice(b, 0, 1::2)
    b = randf((11, 4), np.float64)
    save("step", a=a, b=b, out=a[:, ::2] @ b[1::2])
    a = randf((1, 4, 5), np.float64)         # C: expand(a, (3, 4, 5)) then bmm
    b = randf((3, 5, 2), np.float64)
    save("expand_batch", a=a, b=b, out=np.broadcast_to(a, (3, 4, 5)) @ b)
    a = randf((1, 5), np.float64)            # C: expand(a, (4, 5)): rows of stride 0
    b = randf((5, 3), np.float64)
    save("expand_rows", a=a, b=b, out=np.broadcast_to(a, (4, 5)) @ b)
    a = randf((3, 4, 6), np.float64)         # C: permute(a, (1, 0, 2)) -> (4, 3, 6): batch not outermost
    b = randf((6, 2), np.float64)
    save("permuted_batch", a=a, b=b, out=np.transpose(a, (1, 0, 2)) @ b)

    # conv2d with a 1x1 kernel: y[b, o, h, w] = sum_c w[o, c] x[b, c, h, w] + bias[o]
    def conv(x, w, bias):
        y = np.einsum("oc,bchw->bohw", w[:, :, 0, 0].astype(np.float64), x.astype(np.float64))
        if bias is not None:
            y = y + bias.astype(np.float64)[None, :, None, None]
        return y

    x = randf((2, 3, 4, 5), np.float32)
    w = randf((6, 3, 1, 1), np.float32)
    bias = randf((6,), np.float32)
    save("conv", x=x, w=w, bias=bias, out=conv(x, w, bias).astype(np.float32))
    save("conv_nobias", x=x, w=w, out=conv(x, w, None).astype(np.float32))
    x = randf((2, 3, 5, 4), np.float64)      # C: transpose(x, 2, 3): H and W do not merge
    w = randf((4, 3, 1, 1), np.float64)
    bias = randf((4,), np.float64)
    save("conv_t", x=x, w=w, bias=bias, out=conv(np.swapaxes(x, 2, 3), w, bias))
    x = randi((1, 2, 3, 3), np.int64)
    w = randi((3, 2, 1, 1), np.int64)
    bias = randi((3,), np.int64)
    save("conv_i64", x=x, w=w, bias=bias, out=conv(x, w, bias).astype(np.int64))


if __name__ == "__main__":
    main()
