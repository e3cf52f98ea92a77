"""einc — einx 0.4.3's API on NumPy arrays, run by the einc C library.

    import numpy as np, einc
    x = np.random.rand(2, 3, 8).astype(np.float32)
    q = einc.id("b n (h d) -> b h n d", x, h=2)      # a view of x, as in einx
    a = einc.softmax("b h n [d]", q)
    einc.dot("b h n d, b h m d -> b h n m", q, q, graph=True)   # einc's plan, as a string

Every function has einx's name, signature and semantics; docs/python.md lists the differences.
"""
from . import errors
from ._einc import (
    id, rearrange, dot,
    sum, mean, var, std, prod, count_nonzero, any, all, max, min, logsumexp,
    add, subtract, multiply, divide, true_divide, floor_divide, logaddexp, maximum, minimum,
    less, less_equal, greater, greater_equal, equal, not_equal, logical_and, logical_or, where,
    softmax, log_softmax, get_at, set_at, add_at, subtract_at,
    argmax, argmin, sort, argsort, flip, roll,
    matches, solve_axes, solve_shapes, solve, check,
    reduce, elementwise, vmap_with_axis, vmap, arange,
    version, set_threads, get_threads,
)

__version__ = version()

__all__ = [
    "errors",
    "id", "rearrange", "dot",
    "sum", "mean", "var", "std", "prod", "count_nonzero", "any", "all", "max", "min", "logsumexp",
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "logaddexp", "maximum", "minimum",
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and", "logical_or", "where",
    "softmax", "log_softmax", "get_at", "set_at", "add_at", "subtract_at",
    "argmax", "argmin", "sort", "argsort", "flip", "roll",
    "matches", "solve_axes", "solve_shapes", "solve", "check",
    "reduce", "elementwise", "vmap_with_axis", "vmap", "arange",
    "version", "set_threads", "get_threads",
]
