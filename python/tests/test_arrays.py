"""Zero copy: results share einc's buffers, views stay views of their input, inputs are read in place."""
import gc

import numpy as np
import pytest

import einc


def test_views_of_the_input():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    y = einc.id("a b c -> c b a", x)
    assert np.shares_memory(x, y)
    x[0, 0, 1] = 100
    assert y[1, 0, 0] == 100  # the same memory
    y2 = einc.id("a b c -> a (b c)", x)
    assert np.shares_memory(x, y2)
    f = einc.flip("a [b] c", x)
    assert np.shares_memory(x, f)
    np.testing.assert_array_equal(f, x[:, ::-1])


def test_copies_do_not_alias():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    s = einc.sum("a [b] c", x)
    assert not np.shares_memory(x, s)
    c = einc.id("a b c -> (c a) b", x)  # needs a copy
    assert not np.shares_memory(x, c)
    np.testing.assert_array_equal(c, x.transpose(2, 0, 1).reshape(8, 3))


def test_results_are_einc_buffers_not_copies():
    x = np.ones((64, 64), np.float32)
    s = einc.softmax("a [b]", x)
    assert s.base is not None and type(s.base).__name__ == "PyCapsule"
    assert s.flags.writeable and s.flags.c_contiguous


@pytest.mark.parametrize("make", [
    lambda x: x[:, ::2],          # strided
    lambda x: x.T,                # transposed
    lambda x: x[::-1, ::-3],      # negative strides
    lambda x: np.broadcast_to(x[:1], x.shape),  # stride 0, read-only
    lambda x: np.asfortranarray(x),
    lambda x: x.astype(x.dtype.newbyteorder()),  # byte-swapped: converted once
])
def test_inputs_any_strides(make):
    base = np.arange(60, dtype=np.float64).reshape(6, 10)
    x = make(base)
    np.testing.assert_array_equal(einc.id("a b -> b a", x), x.T)
    np.testing.assert_allclose(einc.sum("a [b]", x), x.sum(1))
    np.testing.assert_allclose(einc.dot("a b, b c -> a c", x, x.T), x @ x.T)


def test_view_of_a_read_only_input_is_read_only():
    x = np.arange(6.0).reshape(2, 3)
    x.flags.writeable = False
    y = einc.id("a b -> b a", x)
    assert np.shares_memory(x, y) and not y.flags.writeable
    b = einc.id("a -> a b", np.arange(3.0), b=4)  # a broadcast view
    assert not b.flags.writeable
    np.testing.assert_array_equal(b, np.broadcast_to(np.arange(3.0)[:, None], (3, 4)))


def test_view_outlives_its_input_and_nothing_leaks():
    before = einc._einc._live_tensors()
    x = np.arange(12.0).reshape(3, 4)
    y = einc.id("a b -> b a", x)
    want = x.T.copy()
    del x
    gc.collect()
    np.testing.assert_array_equal(y, want)  # y keeps x's memory alive
    z = einc.id("a b -> (a b)", y)  # an einc result as input
    del y
    gc.collect()
    np.testing.assert_array_equal(z, want.reshape(-1))
    del z
    for _ in range(1000):
        einc.softmax("a [b]", np.ones((3, 4), np.float32))
        einc.id("a b -> b a", np.ones((3, 4)))
    gc.collect()
    einc.id("a -> a", np.zeros(1))  # a call releases anything queued
    assert einc._einc._live_tensors() <= before + 1


def test_python_scalars_and_lists():
    assert einc.add("a, ", np.ones(3, np.float32), 2.0).dtype == np.float32
    assert einc.add(", ", 2, 3) == 5
    assert einc.add(", ", 2, 3).dtype == np.int64
    assert einc.logical_and(", ", True, False).dtype == np.bool_
    np.testing.assert_array_equal(einc.id("a b -> b a", [[1, 2], [3, 4]]), [[1, 3], [2, 4]])
    assert einc.sum("[a]", np.array([1, 2], np.int32)).shape == ()


def test_zero_size_and_high_rank():
    x = np.zeros((0, 3), np.float32)
    with pytest.raises(einc.errors.AxisSizeError):  # as in einx: a length-0 axis is not solved
        einc.sum("[a] b", x)
    y = np.zeros((1,) * 16)
    assert einc.id("... -> ...", y).shape == y.shape
    with pytest.raises(ValueError, match="at most 16"):
        einc.id("... -> ...", np.zeros((1,) * 17))


def test_finalizer_of_an_input_may_call_einc():
    seen = []

    class Holder:
        """An array-like whose finalizer calls einc: it runs when einc lets go of the input."""

        def __init__(self):
            self.a = np.arange(6.0)
            self.__array_interface__ = self.a.__array_interface__

        def __del__(self):
            seen.append(float(einc.sum("[a]", np.ones(3))))

    y = einc.id("a -> a", Holder())  # a view of the converted array, whose base is the Holder
    np.testing.assert_array_equal(y, np.arange(6.0))
    del y
    gc.collect()
    einc.id("a -> a", np.zeros(1))
    assert seen == [3.0]
