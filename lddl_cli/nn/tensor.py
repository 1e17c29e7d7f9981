"""Parameter: a trainable array and its gradient, and packing parameters into one flat buffer.

Packing puts the values of a list of parameters into one contiguous ``data`` array and their
gradients into one ``grad`` array; each ``Parameter.data`` / ``.grad`` then is a *view* into
those buffers. An optimizer packs its parameter groups, so that an update, a gradient clip or a
finiteness check is one NumPy call on one array. Code must therefore update parameters in place
(``p.data[...] = v``), never rebind the array; the ``data`` and ``grad`` setters copy into it.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, refusing anything but float32 and float64."""
    resolved = np.dtype(dtype)
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {resolved}")
    return resolved


class Parameter:
    """A trainable array ``data`` and its gradient ``grad`` (same shape, same dtype).

    Args:
        data: initial values; copied. Must be float32 or float64.

    The gradient starts at zero and accumulates (``+=``) over backward calls until
    ``zero_grad()`` fills it with zeros. Assigning ``p.data = v`` or ``p.grad = g`` copies into
    the existing array (shape must match), so views held by a packed optimizer stay valid.
    """

    __slots__ = ("_data", "_grad", "_packing")

    def __init__(self, data) -> None:
        array = np.array(data, copy=True, order="C")
        as_float_dtype(array.dtype)
        self._data = array
        self._grad = np.zeros_like(array)
        self._packing: FlatBuffers | None = None

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value) -> None:
        _copy_into(self._data, value, "data")

    @property
    def grad(self) -> np.ndarray:
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        _copy_into(self._grad, value, "grad")

    @property
    def packing(self) -> FlatBuffers | None:
        """The flat buffers this parameter's arrays are views into (None when not packed)."""
        return self._packing

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        return self._data.size

    def zero_grad(self) -> None:
        """Set the gradient to zero: dL/dw = 0."""
        self._grad.fill(0)

    def _move_into(self, data: np.ndarray, grad: np.ndarray, packing: FlatBuffers) -> None:
        """Copy values and gradient into the given views and use them from now on (packing)."""
        data[...] = self._data
        grad[...] = self._grad
        self._data, self._grad, self._packing = data, grad, packing

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


def _copy_into(target: np.ndarray, value, what: str) -> None:
    value = np.asarray(value)
    if value.shape != target.shape:
        raise ValueError(
            f"cannot assign {what} of shape {value.shape} to a parameter of shape {target.shape}"
        )
    np.copyto(target, value, casting="same_kind")


class FlatBuffers:
    """The two contiguous arrays ``data`` and ``grad`` that back a list of packed parameters."""

    __slots__ = ("data", "grad", "parameters")

    def __init__(self, data: np.ndarray, grad: np.ndarray, parameters: list[Parameter]) -> None:
        self.data = data
        self.grad = grad
        self.parameters = parameters

    def zero_grad(self) -> None:
        """Set every packed gradient to zero (one fill of the flat gradient)."""
        self.grad.fill(0)

    def owns(self, parameters: list[Parameter]) -> bool:
        """True when ``parameters`` are exactly the packed ones, in the same order."""
        return len(parameters) == len(self.parameters) and all(
            p is q and p.packing is self for p, q in zip(parameters, self.parameters, strict=True)
        )


def pack_parameters(parameters: list[Parameter]) -> FlatBuffers:
    """Move ``parameters`` into one flat data buffer and one flat grad buffer; return both.

    Values and gradients are preserved; each parameter's ``data``/``grad`` becomes a view into
    the buffers. Packing the same list again returns the same buffers without copying. All
    parameters must share one dtype (float32 or float64): mixing them is an error, not a cast.
    """
    parameters = list(parameters)
    if not parameters:
        raise ValueError("cannot pack an empty parameter list")
    dtypes = {p.dtype for p in parameters}
    if len(dtypes) != 1:
        names = ", ".join(sorted(str(d) for d in dtypes))
        raise TypeError(f"parameters mix dtypes ({names}); convert the model to one dtype first")
    if len({id(p) for p in parameters}) != len(parameters):
        raise ValueError("a parameter appears more than once in the list")
    existing = parameters[0].packing
    if existing is not None and existing.owns(parameters):
        return existing

    dtype = parameters[0].dtype
    total = sum(p.size for p in parameters)
    buffers = FlatBuffers(np.empty(total, dtype=dtype), np.empty(total, dtype=dtype), parameters)
    offset = 0
    for p in parameters:
        end = offset + p.size
        p._move_into(
            buffers.data[offset:end].reshape(p.shape), buffers.grad[offset:end].reshape(p.shape), buffers
        )
        offset = end
    return buffers
