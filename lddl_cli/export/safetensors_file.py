"""A safetensors file, written without the safetensors package: an 8-byte little-endian header
length, a JSON header ({name: {dtype, shape, data_offsets}}, ``__metadata__`` of strings), then the
tensors' little-endian bytes, contiguous. Tensors are ordered by item size (largest first) so each
starts aligned to its item size, as the safetensors package itself writes them."""

from __future__ import annotations

import json

import numpy as np

DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}


def safetensors_bytes(state: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The file's bytes for ``state`` (every state_dict tensor under its name) and ``metadata``."""
    order = sorted(state, key=lambda key: -state[key].dtype.itemsize)  # stable: state_dict order
    header: dict = {"__metadata__": {"format": "pt", **metadata}}
    chunks, offset = [], 0
    for key in order:
        array = state[key]  # not np.ascontiguousarray: it makes a 0-d counter 1-d
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[key] = {
            "dtype": DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the tensors start 8-byte aligned
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)
