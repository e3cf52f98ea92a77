"""Several Python threads calling einc at once: results equal the single-threaded ones, nothing
leaks, arrays made in one thread die in another, and the GIL is released while kernels run."""
import threading
import time

import numpy as np

import einc


def work(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 16, 32)).astype(np.float32)
    w = rng.standard_normal((32, 24)).astype(np.float32)
    return [
        einc.softmax("b n [d]", x),
        einc.dot("b n d, d e -> b e n", x, w),
        einc.sum("b [n] d", x),
        einc.id("b n d -> d (b n)", x),
        einc.add("b n d, d", x, w[:, 0]),
        einc.vmap("b n [d] -> b n", x, op=lambda r: r.max()),
    ]


def test_threads_match_single_threaded():
    expected = {s: work(s) for s in range(8)}
    errors, results = [], {}
    barrier = threading.Barrier(8)

    def run(seed):
        try:
            barrier.wait()
            for _ in range(30):
                got = work(seed)
                for g, e in zip(got, expected[seed]):
                    np.testing.assert_array_equal(g, e)
            results[seed] = got
        except Exception as ex:  # reported below
            errors.append(ex)

    threads = [threading.Thread(target=run, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(results) == list(range(8))


def test_arrays_released_by_other_threads():
    before = einc._einc._live_tensors()
    made = [einc.softmax("a [b]", np.ones((4, 5), np.float32)) for _ in range(200)]

    def drop(chunk):
        for _ in range(len(chunk)):
            chunk.pop()
            einc.id("a -> a", np.zeros(2))

    chunks = [made[i::4] for i in range(4)]
    del made
    threads = [threading.Thread(target=drop, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    einc.id("a -> a", np.zeros(2))  # releases whatever was queued while the lock was busy
    assert einc._einc._live_tensors() <= before + 1


def test_gil_is_released_during_a_large_kernel():
    x = np.ones((2048, 2048), np.float32)
    y = np.ones((2048, 2048), np.float32)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.01)
    start = time.perf_counter()
    einc.dot("a b, b c -> a c", x, y)
    end = time.perf_counter()
    done.set()
    t.join()
    during = [k for k in ticks if start < k < end]
    # the GEMM takes tens of milliseconds; with the GIL held the ticker could not run at all
    assert end - start > 0.005
    assert len(during) >= 2, (end - start, len(during))
