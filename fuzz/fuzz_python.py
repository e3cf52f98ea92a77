"""fuzz_python.py — a generative fuzzer of the Python package's argument conversion (python/src/_einc.c).

    python3 fuzz/fuzz_python.py SECONDS [SEED]

Calls every function of `einc` with arguments drawn at random: expressions (the notation
corpus, fuzz/corpus/notation/, mutated byte by byte and token by token, and generated ones),
tensors of every NumPy dtype and of odd layouts (0-d, empty, transposed, negative strides,
big-endian, read-only, object and string arrays, nested lists, Python scalars, None), axis
constraints and operation keywords of every type (huge and negative integers, tuples, floats,
strings, arrays, booleans). A call may return or raise what the package documents: einc.errors'
classes, TypeError, ValueError, IndexError, OverflowError, MemoryError, DeprecationWarning as an
error. Anything else — SystemError, a RuntimeError, a result that is not an ndarray / tuple /
bool / int / str / dict (or tuples of them) as the functions return — is a finding: the inputs are printed and the run
fails. Run it under ASan + UBSan with a sanitized extension to catch memory errors as well
(fuzz/README.md, "The Python package"):

    cmake -S . -B build-pyasan -DCMAKE_BUILD_TYPE=Debug -DEINC_SANITIZE=ON -DEINC_PYTHON=ON \\
          -DEINC_TESTS=OFF -DEINC_PROGRAMS=OFF && cmake --build build-pyasan -j2
    LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \\
      ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \\
      PYTHONPATH=build-pyasan/python python3 fuzz/fuzz_python.py 600

Each call is reproducible from the seed and the call number it prints on a finding.
"""
import os
import random
import sys
import time
import warnings

import numpy as np

import einc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FUNCS = [
    "id", "rearrange", "dot", "sum", "mean", "var", "std", "prod", "count_nonzero", "any", "all", "max",
    "min", "logsumexp", "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "logaddexp",
    "maximum", "minimum", "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    "logical_and", "logical_or", "where", "softmax", "log_softmax", "get_at", "set_at", "add_at",
    "subtract_at", "argmax", "argmin", "sort", "argsort", "flip", "roll", "matches", "solve_axes",
    "solve_shapes", "solve", "check", "reduce", "elementwise", "vmap_with_axis", "vmap", "arange",
]

ALLOWED = (einc.errors.EinxError, TypeError, ValueError, IndexError, OverflowError, MemoryError,
           DeprecationWarning)

TOKENS = ["a", "b", "c", "d", "h", "w", "[", "]", "(", ")", "...", " ", ",", "->", "|", "1", "2", "0", "+",
          "{", "}", "b...", "[a]", "(a b)", "(a + b)", "[2]", "x", "é", "\x00", "\\", "=", "-", ">"]
AXES = ["a", "b", "c", "d", "h", "w", "x", "y", "nh", "dh", "s", "r", "keepdims", "shift", "graph", "backend",
        "op", "cse", "é", "", "description"]


def load_corpus():
    exprs = ["a b -> b a", "a [b]", "a b, b c -> a c", "b [c] -> b", "a (b c) -> a b c", "... [x]",
             "b h n d, b h m d -> b h n m", "a [b] c", "(a b) c -> a b c", "a b, b", "[a] b -> b",
             "b [s...] c", "b p [2], h w c -> b p c", "a b c -> (a c) b"]
    d = os.path.join(ROOT, "fuzz", "corpus", "notation")
    if os.path.isdir(d):
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                exprs.append(f.read()[:200].decode("utf-8", "replace"))
    return exprs


def mutate(rng, s):
    s = list(s)
    for _ in range(rng.randint(0, 4)):
        op = rng.randint(0, 3)
        pos = rng.randint(0, len(s)) if s else 0
        if op == 0 and s:
            del s[min(pos, len(s) - 1)]
        elif op == 1:
            s[pos:pos] = list(rng.choice(TOKENS))
        elif op == 2 and s:
            s[min(pos, len(s) - 1)] = chr(rng.randint(1, 127))
        else:
            s[pos:pos] = list(rng.choice(TOKENS) + " ")
    return "".join(s)


def expression(rng, corpus):
    k = rng.random()
    if k < 0.55:
        return mutate(rng, rng.choice(corpus))
    if k < 0.9:
        return " ".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 12)))
    return rng.choice([None, 3, b"a b", ["a"], "a" * rng.randint(0, 3000), "a " * 200 + "-> a"])


DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_, np.float16, np.uint8, np.int8, np.int16,
          np.uint16, np.uint32, np.uint64, np.complex64, ">f4", ">i8", ">u8", np.object_, "U3", "S2", "V4", "M8[s]"]


def array(rng):
    nd = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 9])
    shape = tuple(rng.choice([0, 1, 1, 2, 2, 3, 4, 6]) for _ in range(nd))
    if int(np.prod(shape)) > 4096:
        shape = shape[:2]
    dt = rng.choice(DTYPES)
    try:
        x = np.asarray((np.random.default_rng(rng.randint(0, 2**31)).standard_normal(shape) * 3).astype(dt))
    except (TypeError, ValueError):
        x = np.zeros(shape, dtype=dt)
    k = rng.random()
    if k < 0.15 and x.ndim >= 2:
        x = x.T
    elif k < 0.25 and x.ndim >= 1:
        x = x[::-1]
    elif k < 0.32 and x.ndim >= 1 and x.shape[0] > 1:
        x = x[::2]
    elif k < 0.38:
        x.setflags(write=False)
    elif k < 0.42 and x.ndim >= 1:
        x = np.broadcast_to(x, (2,) + x.shape)
    return x


def value(rng, depth=0):
    k = rng.random()
    if k < 0.45:
        return array(rng)
    if k < 0.55:
        return rng.choice([0, 1, -1, 2, 3, 2**31, 2**63, -2**63, 2**64, 10**30, 1.5, float("nan"), True, 1j])
    if k < 0.62 and depth < 2:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if k < 0.66:
        return array(rng).tolist()
    if k < 0.72:
        return rng.choice([None, "a", b"x", object(), {}, (), (1, 2), slice(1), np.float32(2), np.int64(-3)])
    if k < 0.76:
        return lambda *a, **kw: a[0] if a else None
    return array(rng)


def kwarg_value(rng):
    k = rng.random()
    if k < 0.4:
        return rng.choice([0, 1, 2, 3, 4, -1, -5, 2**31, 2**62, 2**63, -2**63, 2**70])
    if k < 0.6:
        return tuple(rng.choice([1, 2, 3, 0, -1, 2**62]) for _ in range(rng.randint(0, 5)))
    if k < 0.7:
        return rng.choice([True, False, None])
    if k < 0.8:
        return rng.choice(["a", "numpy", "torch", "", "sum", "add", 1.5, float("inf"), [2], [[1]]])
    return value(rng)


# Calls that are right as they stand (so the fuzzer reaches the kernels and the result
# conversion, not only the errors): function, expression, input shapes, constraints.
VALID = [
    ("id", "a b -> b a", [(2, 3)], {}), ("id", "b (h d) -> b h d", [(2, 6)], {"h": 2}),
    ("sum", "a [b]", [(3, 4)], {}), ("mean", "a [b] c", [(2, 3, 4)], {"keepdims": True}),
    ("dot", "a b, b c -> a c", [(2, 3), (3, 4)], {}), ("add", "a b, b", [(2, 3), (3,)], {}),
    ("softmax", "a [b]", [(2, 5)], {}), ("log_softmax", "[a] b", [(3, 2)], {}),
    ("argmax", "a [b]", [(3, 4)], {}), ("sort", "a [b]", [(3, 4)], {}), ("flip", "a [b]", [(3, 4)], {}),
    ("roll", "a [b]", [(3, 4)], {"shift": 1}), ("where", "a, a, a", [(4,), (4,), (4,)], {}),
    ("rearrange", "a b c -> (a c) b", [(2, 3, 4)], {}), ("max", "[a] b", [(3, 4)], {}),
    ("logsumexp", "a [b]", [(2, 7)], {}), ("solve_shapes", "a b -> b a", [(2, 3)], {}),
]


def valid_call(rng):
    name, expr, shapes, kw = rng.choice(VALID)
    args = [expr]
    for shp in shapes:
        x = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(shp).astype(
            rng.choice([np.float32, np.float64, np.float16, np.int32, np.int8]))
        if rng.random() < 0.3 and x.ndim >= 2:
            x = np.ascontiguousarray(x.T).T  # the same values through transposed strides
        args.append(x)
    kwargs = dict(kw)
    if rng.random() < 0.3:  # one keyword perturbed
        kwargs[rng.choice(AXES)] = kwarg_value(rng)
    return name, args, kwargs


def one_call(rng, corpus):
    if rng.random() < 0.35:
        return valid_call(rng)
    name = rng.choice(FUNCS)
    args = []
    if rng.random() < 0.93:
        args.append(expression(rng, corpus))
    args += [value(rng) for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))]
    kwargs = {}
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        kwargs[rng.choice(AXES)] = kwarg_value(rng)
    return name, args, kwargs


def describe(x):
    if isinstance(x, np.ndarray):
        return f"ndarray(shape={x.shape}, dtype={x.dtype}, strides={x.strides})"
    if isinstance(x, (list, tuple)):
        return type(x).__name__ + "[" + ", ".join(describe(y) for y in x) + "]"
    return repr(x)[:200]


def result_ok(r):
    if isinstance(r, (np.ndarray, bool, int, str, dict, np.generic)) or r is None:
        return True
    if isinstance(r, tuple):
        return all(result_ok(y) for y in r)
    return False


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time())
    rng = random.Random(seed)
    corpus = load_corpus()
    warnings.simplefilter("error")  # a DeprecationWarning is raised, so it counts as an error class
    end = time.time() + seconds
    n = raised = 0
    while time.time() < end:
        name, args, kwargs = one_call(rng, corpus)
        try:
            r = getattr(einc, name)(*args, **kwargs)
            if not result_ok(r):
                raise AssertionError(f"returned a {type(r).__name__}")
        except ALLOWED:
            raised += 1
        except BaseException as e:  # noqa: BLE001 (any other exception is the finding)
            print(f"fuzz_python: FINDING at call {n} (seed {seed}): {type(e).__name__}: {e}")
            print(f"  einc.{name}(" + ", ".join(describe(a) for a in args) +
                  "".join(f", {k}={describe(v)}" for k, v in kwargs.items()) + ")")
            return 1
        n += 1
    print(f"fuzz_python: clean: {n} calls in {seconds:.0f} s ({raised} raised an allowed error), seed {seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
