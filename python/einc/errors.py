"""einc.errors — einx 0.4.3's error classes (same names, same hierarchy), raised with einc's messages.

einc raises these for what einx raises them for; an operation's bad values are Python's
ValueError (as in einx), a bad argument type is a TypeError, an out-of-range coordinate an
IndexError, a dtype an operation does not take a TypeError.
"""


class EinxError(Exception):
    """Base class of the notation's errors."""


class SyntaxError(EinxError):  # noqa: A001 (einx's name)
    """The expression is malformed (the message has a caret line under the spot)."""


class RankError(EinxError):
    """The ranks of the expressions cannot be matched with the tensors' dimensions."""


class AxisSizeError(EinxError):
    """Axis lengths are undetermined or contradict each other."""


class SemanticError(EinxError):
    """The expression is valid, but not for this operation."""


class OperationNotSupportedError(EinxError):
    """Valid, but not something einc implements."""


class ImportBackendError(EinxError):
    """einx's class; einc never raises it (it has no backends to import)."""


class BackendResolutionError(EinxError):
    """A backend other than numpy was asked for."""


class CallOperationError(EinxError):
    """einx's class; einc never raises it (a vmap function's exception propagates as it is)."""


__all__ = [
    "EinxError",
    "SyntaxError",
    "RankError",
    "AxisSizeError",
    "SemanticError",
    "OperationNotSupportedError",
    "ImportBackendError",
    "BackendResolutionError",
    "CallOperationError",
]
