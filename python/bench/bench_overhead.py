"""Per-call cost of einc's Python API against einx 0.4.3 (numpy backend), in one process.

    python3 python/bench/bench_overhead.py [--quick]

1. cached calls on (2, 3) arrays: id, sum, add, dot, softmax (microseconds per call, the best of
   many short runs, as build/bench_notation measures the C calls: on a shared machine short runs
   find the moments nothing else runs; the target is einc <= 1.5 us and >= 10x less than einx);
2. large arrays: einc, einx and NumPy doing the same work (milliseconds);
3. first calls (a new expression each time: parse, solve, plan).
"""
import sys
import timeit

import numpy as np

import einc

try:
    import einx
except ImportError:  # the einc column still runs
    einx = None


def main():
    quick = "--quick" in sys.argv
    n_small, rep = (4000, 15) if quick else (4000, 60)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    b = x[0].copy()
    w = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    cases = [
        ("id", 'id("a b -> b a", x)', lambda m: (lambda: m.id("a b -> b a", x))),
        ("sum", 'sum("a [b]", x)', lambda m: (lambda: m.sum("a [b]", x))),
        ("add", 'add("a b, b", x, b)', lambda m: (lambda: m.add("a b, b", x, b))),
        ("dot", 'dot("a b, b c -> a c", x, w)', lambda m: (lambda: m.dot("a b, b c -> a c", x, w))),
        ("softmax", 'softmax("a [b]", x)', lambda m: (lambda: m.softmax("a [b]", x))),
    ]
    print(f"bench_overhead: einc {einc.__version__}, einx {einx.__version__ if einx and hasattr(einx, '__version__') else ('0.4.3' if einx else 'not installed')}, "
          f"numpy {np.__version__}, python {sys.version.split()[0]}")
    print("1. cached call, float32 (2,3) inputs, best of %d runs of %d calls (einx: of %d), the cases "
          "interleaved; us per call" % (rep, n_small, n_small // 20))
    print(f"   {'call':34} {'einc':>8} {'einx':>9} {'einx/einc':>10}  {'empty lambda':>12}")
    # rounds interleave the cases, so each gets the same chances at a quiet moment
    fns = {"empty": lambda: None}
    for name, _, make in cases:
        fns["einc " + name] = make(einc)
        if einx:
            fns["einx " + name] = make(einx)
    best = {k: float("inf") for k in fns}
    for f in fns.values():
        f()
    for _ in range(rep):
        for k, f in fns.items():
            n = n_small // 20 if k.startswith("einx") else n_small
            best[k] = min(best[k], timeit.timeit(f, number=n) / n * 1e6)
    empty = best["empty"]
    worst = 0.0
    ratios = []
    for name, text, _ in cases:
        te = best["einc " + name]
        worst = max(worst, te)
        if einx:
            tx = best["einx " + name]
            ratios.append(tx / te)
            print(f"   {text:34} {te:8.3f} {tx:9.3f} {tx / te:9.1f}x  {empty:12.3f}")
        else:
            print(f"   {text:34} {te:8.3f} {'-':>9} {'-':>10}  {empty:12.3f}")
    verdict = "met" if worst <= 1.5 and (not ratios or min(ratios) >= 10) else "NOT met"
    print(f"   target (einc <= 1.5 us, >= 10x less than einx): {verdict} "
          f"(slowest einc {worst:.3f} us{', smallest ratio %.1fx' % min(ratios) if ratios else ''})")

    print("2. large arrays, ms, best of 10 interleaved runs (einc's threads: %d)" % einc.get_threads())
    rng = np.random.default_rng(2)
    big = rng.standard_normal((1024, 4096)).astype(np.float32)
    m1, m2 = (rng.standard_normal((512, 512)).astype(np.float32) for _ in range(2))
    t4 = rng.standard_normal((16, 256, 1024)).astype(np.float32)

    def np_softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    large = [
        ('softmax("a [b]") (1024,4096)', lambda m: m.softmax("a [b]", big), lambda: np_softmax(big)),
        ('sum("a [b]") (1024,4096)', lambda m: m.sum("a [b]", big), lambda: big.sum(axis=1)),
        ('dot("a b, b c -> a c") 512^2', lambda m: m.dot("a b, b c -> a c", m1, m2), lambda: m1 @ m2),
        ('id("a b c -> (a c) b") (16,256,1024)', lambda m: m.id("a b c -> (a c) b", t4),
         lambda: t4.transpose(0, 2, 1).reshape(-1, 256)),
    ]
    print(f"   {'call':42} {'einc':>8} {'einx':>8} {'numpy':>8}")
    for text, f, fnp in large:
        runs = {"einc": lambda: f(einc), "numpy": fnp}
        if einx:
            runs["einx"] = lambda: f(einx)
        t = {k: float("inf") for k in runs}
        for _ in range(3 if quick else 10):  # interleaved, best of
            for k, g in runs.items():
                t[k] = min(t[k], timeit.timeit(g, number=2) / 2 * 1e3)
        print(f"   {text:42} {t['einc']:8.2f} {t.get('einx', float('nan')):8.2f} {t['numpy']:8.2f}")

    print("3. first call of a new expression (parse, solve, plan, run), median of 21, ms")
    for mod in [einc] + ([einx] if einx else []):
        times = []
        for i in range(21):
            expr = f"a{i} b -> b a{i}"
            times.append(timeit.timeit(lambda: mod.id(expr, x), number=1) * 1e3)
        print(f"   {mod.__name__:6} id: {sorted(times)[10]:.3f} ms")


if __name__ == "__main__":
    main()
