"""Error classes and messages: einx's classes and hierarchy, einc's messages with carets, TypeErrors."""
import numpy as np
import pytest

import einc
from einc import errors


def test_hierarchy_is_einx_s():
    for name in ["SyntaxError", "RankError", "AxisSizeError", "SemanticError", "OperationNotSupportedError",
                 "ImportBackendError", "BackendResolutionError", "CallOperationError"]:
        assert issubclass(getattr(errors, name), errors.EinxError)
    assert issubclass(errors.EinxError, Exception)
    assert not issubclass(errors.SyntaxError, SyntaxError)  # einx's SyntaxError is not Python's


def test_syntax_error_has_the_caret():
    with pytest.raises(errors.SyntaxError) as e:
        einc.id("a (b -> b a", np.zeros((3, 4)))
    msg = str(e.value)
    assert msg.startswith("Found an opening parenthesis that is not closed:")
    lines = msg.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("Expression:"))
    assert lines[i + 1].index("^") == lines[i].index("(")


def test_axis_size_error_message():
    with pytest.raises(errors.AxisSizeError) as e:
        einc.id("(a b) c -> a b c", np.zeros((10, 5)))
    msg = str(e.value)
    assert msg.startswith("Failed to uniquely determine the size of the axes a, b. Please provide more constraints.")
    assert "    (a b) c = 10 5" in msg
    assert "Positional argument #1: Tensor with shape (10, 5)" in msg
    with pytest.raises(errors.AxisSizeError, match="Failed to determine the size of all axes"):
        einc.add("a b, a b", np.zeros((3, 4)), np.zeros((4, 3)))
    with pytest.raises(errors.AxisSizeError):
        einc.id("b (h w) -> b h w", np.zeros((2, 6)), h=4)


def test_rank_and_semantic_errors():
    with pytest.raises(errors.RankError, match="number of tensor dimensions"):
        einc.id("a b c -> a c b", np.zeros((3, 4)))
    with pytest.raises(errors.SemanticError, match="contracted axes must appear in exactly two"):
        einc.dot("a b, c d -> a d", np.zeros((3, 4)), np.zeros((4, 5)))
    with pytest.raises(errors.SemanticError):
        einc.sort("a [b c]", np.zeros((2, 3, 4)))


def test_value_errors_are_python_s():
    with pytest.raises(ValueError, match="input"):
        einc.dot("a b -> a", np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError):
        einc.roll("a [b]", np.zeros((3, 4)))  # no shift
    with pytest.raises(IndexError):
        einc.get_at("[a], -> ", np.zeros(3), 7)


def test_type_errors_name_the_argument():
    with pytest.raises(TypeError, match="description must be a str"):
        einc.id(3, np.zeros(3))
    with pytest.raises(TypeError, match=r"argument #1 has type str"):
        einc.id("a -> a", "text")
    with pytest.raises(TypeError, match=r"argument #2 has type NoneType"):
        einc.add("a, a", np.zeros(3), None)
    with pytest.raises(TypeError, match="dtype complex128"):
        einc.id("a -> a", np.zeros(3, complex))
    with pytest.raises(TypeError, match="dtype uint16; einc supports float32, float64, float16, int64, int32, int16"):
        einc.sum("[a]", np.zeros(3, np.uint16))
    with pytest.raises(TypeError, match="constraint h=... must be an integer"):
        einc.id("(h w) -> h w", np.zeros(6), h="2")
    with pytest.raises(TypeError, match="shift must be an integer"):
        einc.roll("[a]", np.zeros(3), shift="1")
    with pytest.raises(TypeError):
        einc.id()


def test_backend_other_than_numpy():
    assert einc.id("a -> a", np.zeros(2), backend="numpy").shape == (2,)
    with pytest.raises(errors.BackendResolutionError):
        einc.id("a -> a", np.zeros(2), backend="torch")


def test_errors_leave_nothing_behind():
    before = einc._einc._live_tensors()
    for _ in range(100):
        with pytest.raises(errors.AxisSizeError):
            einc.id("(a b) c -> a b c", np.zeros((10, 5)))
        with pytest.raises(TypeError):
            einc.add("a, a", np.zeros(3), "x")
    assert einc._einc._live_tensors() == before
    # the context is usable right after an error
    np.testing.assert_array_equal(einc.id("a b -> b a", np.eye(2)), np.eye(2))
