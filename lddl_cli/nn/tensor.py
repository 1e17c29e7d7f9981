"""Parameter: a trainable array and its gradient, and packing parameters into one flat buffer.

Packing exists for speed: an optimizer step, a gradient clip or a finiteness check over a
packed model is a handful of vectorized NumPy calls on one contiguous array, instead of one
call per tensor. After packing, every ``Parameter.data`` / ``.grad`` is a *view* into the flat
buffers, so code must update parameters in place (``p.data[...] = v``), never rebind the
underlying array. The ``data`` and ``grad`` setters enforce that.

``zero_grad`` is lazy, as PyTorch's default ``set_to_none``: it only marks the gradient as zero.
The next backward then *writes* its gradient (a product with ``out=``) instead of adding it to
a zeroed array, which saves a fill and one addition per tensor per step; anything that reads the
gradient first (``p.grad``, ``FlatBuffers.grad``) finds real zeros, filled on that read. As with
PyTorch's ``set_to_none``, an array obtained *before* ``zero_grad`` keeps the old values until
then: read ``p.grad`` (or ``FlatBuffers.grad``) again after ``zero_grad`` and after backward.
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
    ``zero_grad()`` (lazy: see the module's docstring). Assigning ``p.data = v`` or ``p.grad = g``
    copies into the existing array (shape must match), so views held by a packed optimizer stay
    valid.
    """

    __slots__ = ("_data", "_grad", "_grad_is_zero", "_packing")

    def __init__(self, data) -> None:
        array = np.array(data, copy=True, order="C")  # C order: backward writes with np.dot(out=)
        as_float_dtype(array.dtype)
        self._data = array
        self._grad = np.zeros_like(array)
        # True after zero_grad() until the gradient is next read or written: the values in _grad
        # are then stale and stand for zeros.
        self._grad_is_zero = False
        self._packing: FlatBuffers | None = None

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value) -> None:
        _copy_into(self._data, value, "data")

    @property
    def grad(self) -> np.ndarray:
        if self._grad_is_zero:
            self._fill_zeroed_grad()
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        _copy_into(self._grad, value, "grad")
        self._grad_is_zero = False

    def grad_for_write(self) -> tuple[np.ndarray, bool]:
        """``(gradient array, accumulate)`` for a backward about to add its contribution.

        With ``accumulate`` True the caller adds to the array (``+=``); False means the gradient
        was zeroed since it was last written, and the caller must overwrite the whole array
        (``out=``) instead. Either way the gradient counts as written from here on.
        """
        accumulate = not self._grad_is_zero
        self._grad_is_zero = False
        return self._grad, accumulate

    def grad_write_failed(self, accumulate: bool) -> None:
        """Undo ``grad_for_write`` when the backward raised before writing: a zeroed gradient
        stays zero (instead of exposing the stale values under it)."""
        if not accumulate:
            self.zero_grad()

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
        """Set the gradient to zero (lazily: see the module's docstring)."""
        self._grad_is_zero = True
        if self._packing is not None:
            self._packing.some_grad_zeroed = True

    def _fill_zeroed_grad(self) -> None:
        """Make a lazily zeroed gradient real zeros (on the first read after ``zero_grad``)."""
        self._grad.fill(0)
        self._grad_is_zero = False

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
    """The two contiguous arrays that back a list of packed parameters."""

    __slots__ = ("_grad", "data", "parameters", "some_grad_zeroed")

    def __init__(self, data: np.ndarray, grad: np.ndarray, parameters: list[Parameter]) -> None:
        self.data = data
        self._grad = grad
        self.parameters = parameters
        # Set by a parameter's zero_grad(); while set, some parameter may hold stale gradient values.
        self.some_grad_zeroed = any(p._grad_is_zero for p in parameters)

    @property
    def grad(self) -> np.ndarray:
        """The flat gradient; any parameter zeroed and not written since reads as real zeros."""
        if self.some_grad_zeroed:
            for p in self.parameters:
                if p._grad_is_zero:
                    p._fill_zeroed_grad()
            self.some_grad_zeroed = False
        return self._grad

    def zero_grad(self) -> None:
        """Set every packed gradient to zero, lazily (one flag per parameter, no fill)."""
        # Parameter.zero_grad inlined: this runs at every training step.
        for p in self.parameters:
            p._grad_is_zero = True
            if p._packing is not self and p._packing is not None:  # re-packed elsewhere since
                p._packing.some_grad_zeroed = True
        self.some_grad_zeroed = True

    def owns(self, parameters: list[Parameter]) -> bool:
        """True when ``parameters`` are exactly the packed ones, in the same order."""
        return len(parameters) == len(self.parameters) and all(
            p is q and p._packing is self for p, q in zip(parameters, self.parameters, strict=True)
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
    existing = parameters[0]._packing
    if existing is not None and existing.owns(parameters):
        return existing

    dtype = parameters[0].dtype
    total = sum(p.size for p in parameters)
    # The stale values of a lazily zeroed gradient move along with its flag.
    flat_data = np.empty(total, dtype=dtype)
    flat_grad = np.empty(total, dtype=dtype)
    offset = 0
    for p in parameters:
        end = offset + p.size
        flat_data[offset:end] = p._data.ravel()
        flat_grad[offset:end] = p._grad.ravel()
        p._data = flat_data[offset:end].reshape(p.shape)
        p._grad = flat_grad[offset:end].reshape(p.shape)
        offset = end
    buffers = FlatBuffers(flat_data, flat_grad, parameters)
    for p in parameters:
        p._packing = buffers
    return buffers
