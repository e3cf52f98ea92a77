#!/usr/bin/python3
"""Golden data for tests/test_dtypes.c: float16, bfloat16, uint8, int8, int16 and uint64.

Run with Debian's interpreter from the repository root:  /usr/bin/python3 tests/golden/gen_dtypes.py
It rewrites tests/golden/dtypes/. NumPy (1.24) gives every answer for its own dtypes; PyTorch (1.13)
gives the bfloat16 ones, since NumPy has no bfloat16 (ml_dtypes is not installed here). A bfloat16
array is stored as its int16 bit patterns (`bits_*.npy`), because .npy has no code for it. PyTorch
has no uint64: the casts between uint64 and bfloat16 go through float64 (exact for the values used).

- cast_src_<s>.npy, cast_<s>_<d>.npy: einc_tensor_cast from dtype s to dtype d, for every pair of
  the eleven dtypes. The float sources hold finite values in [0, 127] and (-1, 0), which every integer
  dtype converts the same way in C, NumPy and PyTorch (truncation toward zero); out-of-range float
  to integer conversions are undefined in C (einc saturates; test_dtypes.c checks that by hand).
  The integer sources hold values that wrap in the narrower integers (uint64's: from 2**63 on, which
  int64 reads as negative).
- special_<s>.npy, special_<s>_<d>.npy: the float-to-float casts of NaN, infinities, signed zeros,
  subnormals, ties (round half to even) and overflow.
- promote.txt: `a|b|result` for every pair: numpy.promote_types, and for bfloat16 the rule of
  ml_dtypes (bool, uint8 and int8 cast safely to bfloat16; bfloat16 with float16 or int16 gives
  float32, with int32 or int64 float64), checked against torch.promote_types where the two agree.
- le_f2.npy ... : .npy files of the new dtypes in both byte orders, with value_*.npy (float64) as
  the expected values (uint64: le_u8.npy itself, float64 cannot hold its values).
- reference.safetensors: F16, BF16, U8, I8, I16, U64 (and F32) tensors exactly as the reference
  implementation writes them (sorted by dtype, descending Dtype enum order, then by name;
  compact JSON, "__metadata__" first, padded to 8 bytes), for reading and byte-for-byte writing;
  ref_<name>.npy the values (bfloat16 as float32, exact).
- print_<name>.npy / .txt: repr() of arrays of the new dtypes.
- move_*.npy: the operations that move data (transpose, flip, roll, stable sort and argsort,
  get_at, set_at, add_at with a repeated coordinate, less, equal, where) on each new dtype:
  NumPy's answers (np.add.at rounds each float16 sum; integers wrap), PyTorch's for bfloat16.
  mixed_*.npy: comparisons, where and concatenation across dtypes (NumPy's promotion).
- ar_*.npy, mx_*.npy: elementwise arithmetic: NumPy's float16 loops (computed in float32, rounded),
  integer loops (wrapping), result dtypes, Python scalars (converted to the array's dtype first);
  bfloat16: NumPy's float32 result rounded once by PyTorch.
- red_*.npy: reductions over one axis. float16 and bfloat16: the exact float64 result rounded once
  (einc accumulates in float64, as for float32); integers: NumPy's sums and products, in uint64 for
  uint8 and uint64 and in int64 for the signed ones.
- rx_*.npy: reductions over axis 1 of edge rows: float16/bfloat16 rows with NaN, with +-inf, whose
  exact sum overflows (float16: inf), and all zeros (values powers of two, so every product is
  exact); integer rows of the maximum and minimum values (sums, and products that wrap around in
  64 bits, as NumPy's int64 and uint64 ones do), zeros,
  and a row with one zero. Sum, prod, max, min (NaN propagates), argmax/argmin (the first NaN), any,
  all; rx_lse_*: logsumexp of red_x, computed in float64 (rounded once for float16/bfloat16).
- dot_*.npy: batched products "b i k, b k j -> b i j" of float16 and bfloat16 (values exact in float32,
  so the float32-accumulated product rounded once is the exact product rounded; a row that float16
  accumulation would get wrong), int8 and uint64 (wrapping) and mixed dtypes; also einc_tensor_matmul's
  truth.
- sm_*.npy: softmax and log_softmax over the last axis, computed in float64 and rounded once (einc
  computes in float32, so the test allows one unit in the last place).
"""
import json
import os
import struct

import numpy as np
import torch

assert np.__version__.startswith("1.24"), np.__version__

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dtypes")

NAMES = ["float32", "float64", "int64", "int32", "bool", "float16", "bfloat16", "uint8", "int8", "int16", "uint64"]
TORCH = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "int32": torch.int32,
         "bool": torch.bool, "float16": torch.float16, "bfloat16": torch.bfloat16, "uint8": torch.uint8,
         "int8": torch.int8, "int16": torch.int16}
FLOATS = ["float32", "float64", "float16", "bfloat16"]


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.asarray(arr), allow_pickle=False)


def bf16_bits(t):
    """A torch.bfloat16 tensor as int16 bit patterns (a NumPy array)."""
    return t.view(torch.int16).numpy()


def save_any(name, value, dtype):
    """Saves a torch tensor or NumPy array of `dtype`; bfloat16 as bits_<name>.npy."""
    if dtype == "bfloat16":
        save("bits_" + name, bf16_bits(value))
    else:
        save(name, value.numpy() if isinstance(value, torch.Tensor) else value)


def source(dtype, floats, ints):
    vals = floats if dtype in FLOATS else ints
    if dtype == "bool":
        return np.array([True, False, True, True, False, True, False, True])
    if dtype == "bfloat16":
        return torch.tensor(np.array(vals, np.float32)).to(torch.bfloat16)
    return np.array(vals, np.uint64 if dtype == "uint64" else None).astype(dtype)


def cast(src, sdt, ddt):
    """NumPy's cast where both are NumPy dtypes, else PyTorch's (through float64 for uint64, which
    PyTorch lacks)."""
    if sdt != "bfloat16" and ddt != "bfloat16":
        return src.astype(ddt)
    if sdt == "uint64":
        return torch.from_numpy(src.astype(np.float64)).to(torch.bfloat16)
    if ddt == "uint64":
        return src.to(torch.float64).numpy().astype(np.uint64)
    t = src if isinstance(src, torch.Tensor) else torch.from_numpy(src)
    return t.to(TORCH[ddt])


def gen_casts():
    # eight elements each; finite float values every integer dtype truncates the same way
    floats = [0.0, 0.5, -0.75, 1.5, 2.5, 100.25, 126.9, 7.0]
    # ints: wrap around in the narrower integers (127 + 1, -129, 255 + 45, 2**15, ...)
    ints64 = [0, -1, 128, -129, 300, 32768, -40000, 2**40 + 3]
    for s in NAMES:
        ints = {"int64": ints64, "int32": [0, -1, 128, -129, 300, 32768, -40000, 2**31 - 1],
                "int16": [0, -1, 128, -129, 300, 32767, -32768, 255], "int8": [0, -1, 127, -128, 5, -7, 64, -65],
                "uint8": [0, 255, 128, 127, 1, 200, 64, 7],
                "uint64": [0, 2**64 - 1, 2**63, 2**63 - 1, 300, 2**32 + 7, 65535, 2**53 + 1]}.get(s, ints64)
        src = source(s, floats, ints)
        save_any("cast_src_" + s, src, s)
        for d in NAMES:
            save_any("cast_%s_%s" % (s, d), cast(src, s, d), d)


def gen_specials():
    f64 = [np.nan, np.inf, -np.inf, -0.0, 0.0, 65504.0, 65519.99, 65520.0, 1e5, 6e-8, 2.0**-25, 2.0**-24 * 1.5,
           1e-10, 0.1, 1 / 3, 2049.0, 2051.0, 1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-8, 1 + 3 * 2.0**-8,
           3.4e38, -1e39, 1e-40, 2.0**-133, 2.0**-134 * 3, -5.877e-39, 1e300]
    for s in FLOATS:
        if s == "bfloat16":
            src = torch.tensor(np.array(f64, np.float32)).to(torch.bfloat16)
        else:
            src = np.array(f64).astype(s)
        save_any("special_" + s, src, s)
        for d in FLOATS:
            save_any("special_%s_%s" % (s, d), cast(src, s, d), d)


def promote(a, b):
    if "bfloat16" not in (a, b):
        return np.promote_types(a, b).name
    other = b if a == "bfloat16" else a
    rule = {"bfloat16": "bfloat16", "bool": "bfloat16", "uint8": "bfloat16", "int8": "bfloat16",
            "int16": "float32", "float16": "float32", "float32": "float32", "int32": "float64",
            "int64": "float64", "float64": "float64", "uint64": "float64"}[other]
    if other in ("bfloat16", "bool", "uint8", "int8", "float16", "float32", "float64"):
        assert str(torch.promote_types(TORCH[a], TORCH[b])) == "torch." + rule, (a, b, rule)
    return rule


def gen_promote():
    with open(os.path.join(OUT, "promote.txt"), "w") as f:
        for a in NAMES:
            for b in NAMES:
                f.write("%s|%s|%s\n" % (a, b, promote(a, b)))


def gen_npy():
    f2 = np.array([[1.0, -2.5, 65504.0], [np.inf, 6e-8, -0.0]])
    np.save(os.path.join(OUT, "le_f2.npy"), f2.astype("<f2"))
    np.save(os.path.join(OUT, "be_f2.npy"), f2.astype(">f2"))
    save("value_f2", f2.astype("<f2").astype(np.float64))
    i2 = np.array([[1, -2, 32767], [-32768, 256, 0]])
    np.save(os.path.join(OUT, "le_i2.npy"), i2.astype("<i2"))
    np.save(os.path.join(OUT, "be_i2.npy"), i2.astype(">i2"))
    save("value_i2", i2.astype(np.float64))
    u1 = np.array([0, 1, 127, 128, 255, 42])
    np.save(os.path.join(OUT, "u1.npy"), u1.astype("|u1"))
    save("value_u1", u1.astype(np.float64))
    i1 = np.array([0, -1, 127, -128, 5, -42])
    np.save(os.path.join(OUT, "i1.npy"), i1.astype("|i1"))
    save("value_i1", i1.astype(np.float64))
    u8 = np.array([[0, 1, 2**63], [2**64 - 1, 2**63 - 1, 2**53 + 1]], np.uint64)
    np.save(os.path.join(OUT, "le_u8.npy"), u8.astype("<u8"))
    np.save(os.path.join(OUT, "be_u8.npy"), u8.astype(">u8"))
    fo = np.asfortranarray(np.arange(6, dtype="<f2").reshape(2, 3) / 4)
    np.save(os.path.join(OUT, "fortran_f2.npy"), fo)
    save("value_fortran_f2", fo.astype(np.float64))


# position in the reference implementation's Dtype enum
RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 3, "F16": 4, "BF16": 5, "I32": 6, "F32": 7, "F64": 8, "I64": 9,
        "U64": 10}


def gen_safetensors():
    tensors = {  # name -> (safetensors dtype, little-endian bytes, shape, float32/int values for .npy)
    }
    half = np.array([[0.5, -1.25], [65504.0, -np.inf]], "<f2")
    tensors["h.weight"] = ("F16", half.tobytes(), list(half.shape), half)
    bf = torch.tensor([[1.0, -3.140625], [1e30, -0.0]], dtype=torch.float32).to(torch.bfloat16)
    tensors["b.weight"] = ("BF16", bf.view(torch.int16).numpy().astype("<i2").tobytes(), list(bf.shape),
                           bf.to(torch.float32).numpy())
    u8 = np.array([0, 200, 255], "|u1")
    tensors["pixels"] = ("U8", u8.tobytes(), [3], u8)
    i8 = np.array([[-128, 127], [0, -1]], "|i1")
    tensors["q.weight"] = ("I8", i8.tobytes(), [2, 2], i8)
    i16 = np.array([-32768, 12345], "<i2")
    tensors["q.scale"] = ("I16", i16.tobytes(), [2], i16)
    f32 = np.array([0.25], "<f4")
    tensors["norm"] = ("F32", f32.tobytes(), [1], f32)
    u64 = np.array([0, 2**64 - 1, 2**63], "<u8")
    tensors["counts"] = ("U64", u64.tobytes(), [3], u64)
    order = sorted(tensors, key=lambda n: (-RANK[tensors[n][0]], n.encode("utf-8")))
    header, blobs, pos = {"__metadata__": {"format": "pt"}}, [], 0
    for name in order:
        dt, blob, shape, _ = tensors[name]
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [pos, pos + len(blob)]}
        blobs.append(blob)
        pos += len(blob)
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(os.path.join(OUT, "reference.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))
    with open(os.path.join(OUT, "reference_names.txt"), "w") as f:  # insertion order for the C writer
        for i, name in enumerate(tensors):
            f.write("%d|%s|%s\n" % (i, name, tensors[name][0]))
            save("ref_%d" % i, tensors[name][3])


def gen_print():
    np.set_printoptions()
    cases = {
        "f16": np.array([0.1, 1.5, -2.0, 65504.0], np.float16),
        "f16_nan": np.array([np.nan, -np.inf, 0.333], np.float16),
        "u8": np.array([[0, 255], [7, 128]], np.uint8),
        "i8": np.array([-128, 5, 127], np.int8),
        "i16": np.array([-32768, 0, 32767], np.int16),
        "u64": np.array([[0, 2**64 - 1], [7, 2**63]], np.uint64),
    }
    for name, arr in cases.items():
        save("print_" + name, arr)
        with open(os.path.join(OUT, "print_%s.txt" % name), "w", encoding="ascii", newline="\n") as f:
            f.write(repr(arr))


# ---- stage 2: operations that move data -------------------------------------------------------

STORAGE = ["float16", "bfloat16", "uint8", "int8", "int16", "uint64"]
U63 = 2**63  # uint64 values from here on are negative as int64: they test the unsigned paths


def move_inputs(dt):
    """x [3, 5] and a second operand x2 of the same dtype, with repeats (and NaN, -0.0) for sorting."""
    if dt in ("float16", "bfloat16"):
        x = [[1.5, -2.0, np.nan, 0.0, -0.0], [3.25, 3.25, -7.5, 100.0, np.inf], [-np.inf, 0.5, 0.5, -2.0, 6.0]]
        x2 = [[1.5, 2.0, 0.0, -0.0, 1.0], [np.nan, 3.0, -7.5, 99.0, np.inf], [0.0, 0.5, 1.0, -3.0, 5.0]]
        u = [[0.1, 1000.0], [-3.3, 0.25], [2048.0, 1.0]]  # add_at: each sum rounded to the dtype
    elif dt == "uint8":
        x = [[7, 0, 255, 7, 3], [200, 1, 1, 128, 0], [9, 250, 250, 9, 2]]
        x2 = [[7, 1, 254, 8, 3], [0, 1, 2, 128, 255], [9, 9, 250, 10, 1]]
        u = [[100, 200], [7, 255], [1, 6]]  # wraps past 255
    elif dt == "int8":
        x = [[7, -1, 127, 7, -128], [100, 1, 1, -3, 0], [-9, 120, 120, 9, -2]]
        x2 = [[7, 1, -127, 8, -128], [0, 1, 2, -3, 100], [9, 9, 120, 10, -1]]
        u = [[100, 30], [-7, 127], [-128, 6]]  # wraps past 127
    elif dt == "uint64":
        x = [[7, 0, 2**64 - 1, 7, 3], [U63, 1, 1, U63 - 1, 0], [9, U63 + 5, U63 + 5, 9, 2]]
        x2 = [[7, 1, 2**64 - 2, 8, 3], [0, 1, 2, U63, 2**64 - 1], [9, 9, U63 + 5, 10, 1]]
        u = [[U63, U63 + 1], [7, 2**64 - 1], [1, 6]]  # wraps past 2**64 - 1
    else:
        x = [[7, -1, 32767, 7, -32768], [1000, 1, 1, -300, 0], [-9, 120, 120, 9, -2]]
        x2 = [[7, 1, -32767, 8, -32768], [0, 1, 2, -300, 1000], [9, 9, 120, 10, -1]]
        u = [[30000, 5000], [-7, 127], [-32768, 6]]
    cond = np.array([[True, False, True, False, True], [False, False, True, True, False],
                     [True, True, False, False, True]])
    if dt == "bfloat16":
        conv = lambda a: torch.tensor(np.array(a, np.float32)).to(torch.bfloat16)
    else:
        conv = lambda a: np.array(a, np.uint64 if dt == "uint64" else None).astype(dt)
    return conv(x), conv(x2), conv(u), cond


def gen_moves():
    get_idx = np.array([4, 0, 4, 2], np.int64)
    set_idx = np.array([3, 1], np.int64)
    add_idx = np.array([1, 1], np.int64)  # twice the same coordinate: two additions in sequence
    save("move_get_idx", get_idx)
    save("move_set_idx", set_idx)
    save("move_add_idx", add_idx)
    for dt in STORAGE:
        x, x2, u, cond = move_inputs(dt)
        save("move_cond", cond)
        for name, v in (("x", x), ("x2", x2), ("u", u)):
            save_any("move_%s_%s" % (name, dt), v, dt)
        if dt == "bfloat16":
            tc = torch.from_numpy(cond)
            out = {
                "t": x.t().contiguous(),
                "flip": torch.flip(x, [1]),
                "roll": torch.roll(x, 2, 1),
                "sort": torch.sort(x, dim=1, stable=True)[0],
                "get": x[:, torch.from_numpy(get_idx)],
                "where": torch.where(tc, x, x2),
            }
            y = x.clone()
            y[:, torch.from_numpy(set_idx)] = u
            out["set"] = y
            y = x.clone()
            y.index_put_((torch.arange(3)[:, None], torch.from_numpy(add_idx)[None, :]), u, accumulate=True)
            out["add"] = y
            argsort = torch.sort(x, dim=1, stable=True)[1].numpy()
            less, equal = torch.lt(x, x2).numpy(), torch.eq(x, x2).numpy()
        else:
            out = {"t": np.ascontiguousarray(x.T), "flip": np.flip(x, 1), "roll": np.roll(x, 2, 1),
                   "sort": np.sort(x, 1, kind="stable"), "get": x[:, get_idx], "where": np.where(cond, x, x2)}
            y = x.copy()
            y[:, set_idx] = u
            out["set"] = y
            y = x.copy()
            np.add.at(y, (slice(None), add_idx), u)
            out["add"] = y
            argsort = np.argsort(x, 1, kind="stable")
            less, equal = np.less(x, x2), np.equal(x, x2)
        for name, v in out.items():
            save_any("move_%s_%s" % (name, dt), v, dt)
        save("move_argsort_" + dt, argsort.astype(np.int64))
        save("move_less_" + dt, less)
        save("move_equal_" + dt, equal)
    # comparisons and where across dtypes (NumPy's promotion decides the compared values)
    a = np.array([[0.5, -1.0, 300.0], [np.nan, 2.0, -0.0]], np.float16)
    b = np.array([[1, -1, 299], [0, 3, 0]], np.int16)
    c = np.array([[255, 0, 7], [128, 2, 1]], np.uint8)
    d = np.array([[-1, 0, 7], [-128, 2, 1]], np.int8)
    save("mixed_f16", a)
    save("mixed_i16", b)
    save("mixed_u8", c)
    save("mixed_i8", d)
    save("mixed_less_f16_i16", np.less(a, b))
    save("mixed_equal_u8_i8", np.equal(c, d))
    save("mixed_ge_u8_f16", np.greater_equal(c, a))
    cond = np.array([[True, False, True], [False, True, False]])
    save("mixed_cond", cond)
    save("mixed_where_u8_i8", np.where(cond, c, d))  # int16
    save("mixed_where_f16_i8", np.where(cond, a, d))  # float16
    save("mixed_where_f16_i16", np.where(cond, a, b))  # float32
    save("mixed_concat_f16_u8", np.concatenate([a, c], 0))  # float16
    e = np.array([[2**64 - 1, 0, 7], [U63, 2, 300]], np.uint64)
    save("mixed_u64", e)
    save("mixed_less_u64_u8", np.less(e, c))  # in uint64
    save("mixed_less_u64_i8", np.less(e, d))  # in float64: -1 stays below 0
    save("mixed_where_u64_u8", np.where(cond, e, c))  # uint64
    save("mixed_where_u64_i16", np.where(cond, e, b))  # float64


# ---- stage 3: elementwise arithmetic and reductions ------------------------------------------

def to_bf16(a):
    """float32 values (NumPy) rounded to bfloat16 by PyTorch (one rounding, to nearest even)."""
    return torch.from_numpy(np.ascontiguousarray(a, np.float32)).to(torch.bfloat16)


def arith_inputs(dt):
    if dt in ("float16", "bfloat16"):
        a = [[1.5, -2.25, 0.1, 7.0], [-0.5, 3.0, 100.5, -6.0], [0.75, 2.5, -1.0, 9.0]]
        b = [[0.3, 1.75, -3.0, 2.0], [4.0, -0.25, 0.7, -2.5], [1.0, 3.5, 5.0, 0.125]]
    elif dt == "uint8":
        a = [[200, 7, 0, 255], [13, 100, 1, 250], [3, 64, 128, 9]]
        b = [[100, 3, 5, 2], [0, 7, 255, 6], [2, 4, 1, 0]]
    elif dt == "int8":
        a = [[100, -7, 0, 127], [-128, 50, 1, -100], [3, -64, 120, 9]]
        b = [[100, 3, -5, 2], [-1, 0, 127, -6], [2, 4, 1, 0]]
    elif dt == "uint64":
        a = [[2**64 - 1, 7, 0, U63], [13, U63 + 100, 1, 2**64 - 6], [3, 64, U63 - 1, 9]]
        b = [[100, 3, 5, 2], [0, U63, 2**64 - 1, 6], [2, 4, 1, 0]]
    else:
        a = [[30000, -7, 0, 32767], [-32768, 500, 1, -1000], [3, -640, 1200, 9]]
        b = [[30000, 3, -5, 2], [-1, 0, 127, -6], [2, 4, 1, 0]]
    return a, b


BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "maximum", "minimum",
          "power", "logaddexp"]
UNARY = ["negative", "absolute", "sign", "square", "sqrt", "exp", "log", "tanh", "floor", "ceil", "rint",
         "reciprocal_f"]


def unary_input(name, x):
    """sqrt and log get positive inputs."""
    return np.abs(x) + (x == 0) if name in ("sqrt", "log") else x


def numpy_unary(name, x):
    x = unary_input(name, x)
    return np.reciprocal(x) if name == "reciprocal_f" else getattr(np, name)(x)


def full_range_u64(rng, shape):
    """uint64 values over the whole range (RandomState draws at most 63 bits at once)."""
    return (rng.randint(0, 2**62, size=shape, dtype=np.int64).astype(np.uint64) * np.uint64(4) +
            rng.randint(0, 4, size=shape).astype(np.uint64))


def gen_arith():
    for dt in STORAGE:
        a, b = arith_inputs(dt)
        ints = dt not in ("float16", "bfloat16")
        if dt == "bfloat16":
            A32, B32 = to_bf16(a).to(torch.float32).numpy(), to_bf16(b).to(torch.float32).numpy()
            save_any("ar_a_" + dt, to_bf16(A32), dt)
            save_any("ar_b_" + dt, to_bf16(B32), dt)
        else:
            big = np.uint64 if dt == "uint64" else None
            A, B = np.array(a, big).astype(dt), np.array(b, big).astype(dt)
            save("ar_a_" + dt, A)
            save("ar_b_" + dt, B)
        with np.errstate(all="ignore"):
            for op in BINARY:
                if op == "power":  # integer exponents 0 to 3; float bases made positive
                    if ints:
                        pa, pb = A, (B % 4 if dt == "uint64" else np.abs(B.astype(np.int64)) % 4).astype(dt)
                        save("ar_pa_" + dt, pa)
                        save("ar_pb_" + dt, pb)
                        r = np.power(pa, pb)
                    elif dt == "bfloat16":
                        save_any("ar_pa_" + dt, to_bf16(np.abs(A32)), dt)
                        save_any("ar_pb_" + dt, to_bf16(B32), dt)
                        r = np.power(np.abs(A32), B32)
                    else:
                        save("ar_pa_" + dt, np.abs(A))
                        save("ar_pb_" + dt, B)
                        r = np.power(np.abs(A), B)
                elif dt == "bfloat16":  # computed in float32, rounded once
                    r = to_bf16(getattr(np, op)(A32, B32))
                else:
                    r = getattr(np, op)(A, B)
                rd = r.dtype if isinstance(r, np.ndarray) else None
                if dt == "bfloat16" and op == "power":
                    r = to_bf16(r)
                save_any("ar_%s_%s" % (op, dt), r, "bfloat16" if dt == "bfloat16" else rd.name)
            for op in UNARY:
                if op == "reciprocal_f" and ints:
                    continue  # einc's reciprocal of an integer is float64 (docs/dtypes.md); not NumPy's
                if op in ("sqrt", "log"):
                    save_any("ar_in_%s_%s" % (op, dt), to_bf16(unary_input(op, A32)) if dt == "bfloat16"
                             else unary_input(op, A), dt)
                if dt == "bfloat16":
                    r = to_bf16(numpy_unary(op, A32))
                    save_any("ar_%s_%s" % (op, dt), r, dt)
                else:
                    if ints and op in ("floor", "ceil", "rint"):
                        r = A.copy()  # einc keeps integers for these (NumPy: float16/float32)
                    else:
                        r = numpy_unary(op, A)
                    save("ar_%s_%s" % (op, dt), r)
            # x * 0.1 and x + 3: NumPy converts the Python scalar to the array's dtype first
            if dt == "bfloat16":
                s01 = np.float32(to_bf16(np.float32(0.1)).to(torch.float32).item())
                save_any("ar_mulscalar_" + dt, to_bf16(A32 * s01), dt)
                save_any("ar_addscalar_" + dt, to_bf16(A32 + np.float32(3.0)), dt)
            else:
                if ints:
                    save("ar_mulscalar_" + dt, A.astype(np.float64) * 0.1)  # einc: float64 for integers
                    save("ar_addscalar_" + dt, A.astype(np.float64) + 3.0)
                else:
                    save("ar_mulscalar_" + dt, A * 0.1)
                    save("ar_addscalar_" + dt, A + 3.0)
    # mixed dtypes: NumPy's promotion
    f16 = np.array([[1.5, -2.0], [300.0, 0.1]], np.float16)
    i16 = np.array([[1000, -3], [7, 30000]], np.int16)
    u8 = np.array([[200, 3], [255, 0]], np.uint8)
    i8 = np.array([[-100, 3], [127, -128]], np.int8)
    bf = torch.tensor([[1.5, -2.0], [300.0, 0.1]]).to(torch.bfloat16)
    save("mx_f16", f16)
    save("mx_i16", i16)
    save("mx_u8", u8)
    save("mx_i8", i8)
    save_any("mx_bf16", bf, "bfloat16")
    save("mx_add_f16_i16", f16 + i16)  # float32
    save("mx_mul_u8_i8", u8 * i8)  # int16
    save("mx_sub_u8_f16", u8 - f16)  # float16
    save("mx_add_bf16_f16", bf.to(torch.float32).numpy() + f16.astype(np.float32))  # float32 (exact)
    save("mx_mul_f16_f32", f16 * np.array([[0.5, 3.0], [1e-3, 2.0]], np.float32))  # float32
    save("mx_f32", np.array([[0.5, 3.0], [1e-3, 2.0]], np.float32))
    u64 = np.array([[2**64 - 1, 3], [U63, 0]], np.uint64)
    save("mx_u64", u64)
    save("mx_add_u64_u8", u64 + u8)  # uint64, wrapping
    save("mx_mul_u64_i8", u64 * i8)  # float64: no integer holds both
    save("mx_sub_u64_f16", u64 - f16)  # float64

    # reductions over axis 1 of [3, 40]
    rng = np.random.RandomState(7)
    for dt in STORAGE:
        if dt in ("float16", "bfloat16"):
            vals = (rng.randint(-512, 512, size=(3, 40)) / 8.0).astype(np.float32)  # exact sums in float32
        elif dt == "uint8":
            vals = rng.randint(0, 256, size=(3, 40))
        elif dt == "int8":
            vals = rng.randint(-128, 128, size=(3, 40))
        elif dt == "uint64":
            vals = full_range_u64(rng, (3, 40))
        else:
            vals = rng.randint(-32768, 32768, size=(3, 40))
        if dt == "bfloat16":
            x = to_bf16(vals)
            xf = x.to(torch.float64).numpy()
            save_any("red_x_" + dt, x, dt)
            rnd = lambda v: to_bf16(np.asarray(v, np.float64).astype(np.float32))
        else:
            x = vals.astype(dt)
            xf = x.astype(np.float64)
            save("red_x_" + dt, x)
            rnd = (lambda v: np.asarray(v).astype(dt)) if dt == "float16" else None
        small = xf[:, :6]  # prod of six
        out = {}
        if rnd:  # floats: exact in float64, rounded once to the dtype
            out["sum"] = rnd(xf.sum(1))
            out["mean"] = rnd(xf.mean(1))
            out["var"] = rnd(xf.var(1))
            out["std"] = rnd(xf.std(1))
            out["prod"] = rnd(small.prod(1))
            out["max"] = rnd(xf.max(1))
            out["min"] = rnd(xf.min(1))
            for k, v in out.items():
                save_any("red_%s_%s" % (k, dt), v, dt)
        else:  # integers: NumPy's own (sum and prod in uint64 for uint8 and uint64, else int64)
            save("red_sum_" + dt, x.sum(1))
            save("red_prod_" + dt, x[:, :6].prod(1))
            save("red_mean_" + dt, x.mean(1))
            save("red_var_" + dt, x.var(1))
            save("red_std_" + dt, x.std(1))
            save("red_max_" + dt, x.max(1))
            save("red_min_" + dt, x.min(1))
        xa = xf if dt == "bfloat16" else x  # float64 does not hold every uint64
        save("red_argmax_" + dt, np.argmax(xa, 1).astype(np.int64))
        save("red_argmin_" + dt, np.argmin(xa, 1).astype(np.int64))
        save("red_count_nonzero_" + dt, np.count_nonzero(xa, 1).astype(np.int64))


def gen_reduction_edges():
    for dt in STORAGE:
        if dt in ("float16", "bfloat16"):
            row0 = np.tile([1.0, -2.0, 0.5, np.nan], 10)
            row1 = np.tile([np.inf, 1.0, -np.inf, 4.0], 10)
            row2 = np.full(40, 2048.0)  # sum 81920: beyond float16's range, exact in bfloat16
            row3 = np.zeros(40)
            xf = np.stack([row0, row1, row2, row3])
            if dt == "bfloat16":
                x = to_bf16(xf)
                rnd = lambda v: to_bf16(np.asarray(v, np.float64).astype(np.float32))  # exact values here
            else:
                x = xf.astype(np.float16)
                rnd = lambda v: np.asarray(v, np.float64).astype(np.float16)
            save_any("rx_x_" + dt, x, dt)
            with np.errstate(all="ignore"):
                save_any("rx_sum_" + dt, rnd(xf.sum(1)), dt)
                save_any("rx_prod_" + dt, rnd(xf.prod(1)), dt)
                save_any("rx_max_" + dt, rnd(xf.max(1)), dt)
                save_any("rx_min_" + dt, rnd(xf.min(1)), dt)
        else:
            info = np.iinfo(dt)
            xf = np.stack([np.full(40, info.max), np.full(40, info.min), np.zeros(40, np.int64),
                           np.array([3] * 20 + [0] + [1] * 19)]).astype(dt)
            x = xf
            save("rx_x_" + dt, x)
            # NumPy's own: uint64 for uint8 and uint64, int64 for the signed ones
            save("rx_sum_" + dt, x.sum(1))
            save("rx_prod_" + dt, x.prod(1))
            save("rx_max_" + dt, x.max(1))
            save("rx_min_" + dt, x.min(1))
        save("rx_argmax_" + dt, np.argmax(xf, 1).astype(np.int64))
        save("rx_argmin_" + dt, np.argmin(xf, 1).astype(np.int64))
        save("rx_any_" + dt, np.any(xf, 1))
        save("rx_all_" + dt, np.all(xf, 1))
    rng = np.random.RandomState(7)  # red_x's inputs again (gen_arith draws them in this order)
    for dt in STORAGE:
        if dt in ("float16", "bfloat16"):
            vals = (rng.randint(-512, 512, size=(3, 40)) / 8.0).astype(np.float32)
        elif dt == "uint8":
            vals = rng.randint(0, 256, size=(3, 40))
        elif dt == "int8":
            vals = rng.randint(-128, 128, size=(3, 40))
        elif dt == "uint64":
            vals = full_range_u64(rng, (3, 40))
        else:
            vals = rng.randint(-32768, 32768, size=(3, 40))
        if dt == "bfloat16":
            xf = to_bf16(vals).to(torch.float64).numpy()
        else:
            xf = vals.astype(dt).astype(np.float64)
        m = xf.max(1, keepdims=True)
        lse = (m + np.log(np.exp(xf - m).sum(1, keepdims=True)))[:, 0]
        if dt == "bfloat16":
            save_any("rx_lse_" + dt, to_bf16(lse.astype(np.float32)), dt)  # float64 -> float32 -> bf16
        elif dt == "float16":
            save("rx_lse_" + dt, lse.astype(np.float16))
        else:
            save("rx_lse_" + dt, lse)  # float64


# ---- stage 4: dot ----------------------------------------------------------------------------

def gen_dot():
    rng = np.random.RandomState(11)
    # quarters: products and sums exact in float32, so the one rounding is the store
    a = (rng.randint(-40, 40, size=(2, 3, 70)) / 4.0).astype(np.float32)
    b = (rng.randint(-40, 40, size=(2, 70, 5)) / 4.0).astype(np.float32)
    a[0, 0, :3], b[0, :3, 0] = [2048.0, 1.0, 1.0], [1.0, 1.0, 1.0]  # float16 accumulation would lose the ones
    a[0, 0, 3:], b[0, 3:, 0] = 0.0, 0.0
    for dt in ("float16", "bfloat16"):
        if dt == "bfloat16":
            A, B = to_bf16(a), to_bf16(b)
            A32, B32 = A.to(torch.float32).numpy(), B.to(torch.float32).numpy()
            want = to_bf16(np.matmul(A32.astype(np.float64), B32.astype(np.float64)).astype(np.float32))
            save_any("dot_a_" + dt, A, dt)
            save_any("dot_b_" + dt, B, dt)
            save_any("dot_ab_" + dt, want, dt)
        else:
            A, B = a.astype(dt), b.astype(dt)
            save("dot_a_" + dt, A)
            save("dot_b_" + dt, B)
            exact = np.matmul(A.astype(np.float64), B.astype(np.float64))
            assert np.array_equal(exact.astype(np.float32), exact)  # exact in float32
            save("dot_ab_" + dt, exact.astype(dt))
    ia = rng.randint(-128, 128, size=(2, 3, 70)).astype(np.int8)
    ib = rng.randint(-128, 128, size=(2, 70, 5)).astype(np.int8)
    save("dot_a_int8", ia)
    save("dot_b_int8", ib)
    save("dot_ab_int8", np.matmul(ia, ib))  # wraps in int8
    ua = rng.randint(0, 256, size=(2, 3, 70)).astype(np.uint8)
    save("dot_a_uint8", ua)
    save("dot_ab_uint8_int8", np.matmul(ua, ib))  # int16
    wa, wb = full_range_u64(rng, (2, 3, 70)), full_range_u64(rng, (2, 70, 5))
    save("dot_a_uint64", wa)
    save("dot_b_uint64", wb)
    save("dot_ab_uint64", np.matmul(wa, wb))  # wraps modulo 2**64
    save("dot_ab_uint8_uint64", np.matmul(ua, wb))  # uint64
    # float16 with bfloat16: float32, exactly
    save("dot_ab_float16_bfloat16", np.matmul(a.astype(np.float16).astype(np.float64),
                                              to_bf16(b).to(torch.float64).numpy()).astype(np.float32))


def gen_softmax():
    x = np.array([[0.5, -1.25, 3.0, 2.0, -7.5, 0.0, 1.0], [10.0, 10.0, -10.0, 0.25, 4.5, -0.5, 6.0],
                  [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    for dt in ("float16", "bfloat16"):
        xs = to_bf16(x.astype(np.float32)).to(torch.float64).numpy() if dt == "bfloat16" else x.astype(dt).astype(np.float64)
        e = np.exp(xs - xs.max(1, keepdims=True))
        sm = e / e.sum(1, keepdims=True)
        lsm = xs - xs.max(1, keepdims=True) - np.log(e.sum(1, keepdims=True))
        if dt == "bfloat16":
            save_any("sm_x_" + dt, to_bf16(xs.astype(np.float32)), dt)
            save_any("sm_softmax_" + dt, to_bf16(sm.astype(np.float32)), dt)
            save_any("sm_log_softmax_" + dt, to_bf16(lsm.astype(np.float32)), dt)
        else:
            save("sm_x_" + dt, xs.astype(dt))
            save("sm_softmax_" + dt, sm.astype(dt))
            save("sm_log_softmax_" + dt, lsm.astype(dt))


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    gen_casts()
    gen_specials()
    gen_promote()
    gen_npy()
    gen_safetensors()
    gen_print()
    gen_moves()
    gen_arith()
    gen_reduction_edges()
    gen_dot()
    gen_softmax()


if __name__ == "__main__":
    main()
