"""Reading a weights file (``model.npz``) as untrusted input: inspect, then load, never unpickle.

A weights file is a zip archive of ``NAME.npy`` members (one per ``state_dict`` key) plus
``__lddl__.npy``, a 0-d unicode array of JSON metadata (the README's "The run directory"). Everything in it is
checked before anything large is allocated or anything is built:

1. the zip directory (``nn.state.check_archive``): member names (``KEY.npy``, no folders, no
   duplicates), compression (stored or deflate, no encryption) and the declared uncompressed
   sizes against ``nn.state.MAX_MEMBER_BYTES`` / ``MAX_TOTAL_BYTES`` -- a DEFLATE bomb is
   refused here, and a member that lies about its size cannot inflate past the declared size
   (zipfile stops there, and the CRC check then fails);
2. each member is read fully (``nn.state.read_member``: the CRC is verified), its ``.npy``
   header parsed without pickle, and its shape x itemsize compared with the bytes present
   before the array is made;
3. dtypes: arrays are float32/float64 (int64 for counters such as BatchNorm's
   ``num_batches_tracked``) and finite (count and first index otherwise), the metadata is a 0-d
   unicode array holding a JSON object;
4. the metadata schema (``format``, ``dtype``, ``model.layers``) and, before the model is built,
   that the layer sizes it declares cannot allocate more than the file holds;
5. the state is compared key by key with the rebuilt model: each missing, unexpected or
   mis-shaped key (or an integer array where the layer has floats) is one problem naming the
   layer and both shapes.

Every problem becomes one line ``FILE: KEY: what is wrong`` of a :class:`WeightsFileError`.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, LddlError, WeightsError
from ..nn.state import METADATA_KEY, MemberError, check_archive, read_member
from .kind import CHECKPOINT, CHECKPOINT_HINT, kind_of_metadata

FORMAT_VERSION = 1
# Parameters and running statistics are float32/float64; counters (BatchNorm's
# num_batches_tracked, as in PyTorch) are int64. Whether a key must be float is checked against
# the rebuilt model.
ARRAY_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64))


class WeightsFileError(WeightsError):
    """Every problem found in one weights file, one ``FILE: KEY: message`` line each."""

    def __init__(self, path: str | os.PathLike, problems: list[tuple[str, str]]) -> None:
        if not problems:
            raise ValueError("WeightsFileError needs at least one problem")
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            ": ".join(part for part in (self.path, key, message) if part) for key, message in self.problems
        ]


@dataclass(frozen=True)
class Weights:
    """The checked content of a weights file: arrays by ``state_dict`` key, and the metadata."""

    state: dict[str, np.ndarray]
    metadata: dict


def read_weights(path: str | os.PathLike) -> Weights:
    """Read and check a weights file without building the model (steps 1-4 above).

    Raises WeightsFileError for anything wrong, never another exception for malformed content.
    """
    path = Path(path)
    fail = _Failer(path)
    if not path.exists():
        fail("", "no such file")
    if path.is_dir():
        fail("", "is a directory, expected a weights file (.npz)")
    if not path.is_file():
        fail("", "is not a regular file (a pipe or device?), expected a weights file (.npz)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        fail("", f"not a weights file: cannot read it as an .npz (zip) archive ({_describe(error)})")
    with archive:
        members, directory_problems = check_archive(archive)
        if directory_problems:
            raise WeightsFileError(path, [(problem.key, problem.reason) for problem in directory_problems])
        state: dict[str, np.ndarray] = {}
        metadata: dict | None = None
        problems: list[tuple[str, str]] = []
        for key, info in members.items():
            try:
                array = read_member(archive, info)
                if key == METADATA_KEY:
                    metadata = _parse_metadata(array)
                else:
                    state[key] = _check_parameter(array)
            except MemberError as problem:
                problems.append((problem.key, problem.reason))
            except _Problem as problem:
                problems.append((problem.key or key, problem.message))
        if kind_of_metadata(metadata) == CHECKPOINT:
            fail("", CHECKPOINT_HINT)
        if problems:
            raise WeightsFileError(path, problems)
    if metadata is None:
        fail(METADATA_KEY, "missing; this is not a weights file written by lddl train")
    return Weights(state=state, metadata=metadata)


def load_model(path: str | os.PathLike):
    """(model in eval mode, metadata) from a weights file: read, check, rebuild, load strictly."""
    from .. import config as config_module

    path = Path(path)
    weights = read_weights(path)
    layers = weights.metadata["model"]["layers"]
    dtype = weights.metadata["dtype"]
    _check_layers(path, layers, config_module)
    _check_allocation(path, layers, weights.state)
    try:
        model = config_module.build_model(layers, dtype, np.random.default_rng(0))
    except LddlError as error:
        lines = [line.split(": ", 1)[-1] for line in error.lines()]
        raise WeightsFileError(path, [(f"{METADATA_KEY}.model.layers", line) for line in lines]) from None
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise WeightsFileError(path, [(f"{METADATA_KEY}.model.layers", _describe(error))]) from None
    expected = model.state_dict()
    problems = compare_state(layers, expected, weights.state)
    if problems:
        raise WeightsFileError(path, problems)
    model.load_state_dict(weights.state, strict=True)
    model.eval()
    return model, weights.metadata


def compare_state(
    layers: list[dict], expected: dict[str, np.ndarray], state: dict[str, np.ndarray]
) -> list[tuple[str, str]]:
    """One (key, message) per missing, unexpected or mis-shaped key, naming the layer and shapes."""
    problems: list[tuple[str, str]] = []
    unexpected = [key for key in state if key not in expected]
    for key, target in expected.items():
        layer = _layer_name(layers, key)
        if key not in state:
            hint = _did_you_mean(key, unexpected)
            problems.append((key, f"missing array for {layer}, expected shape {target.shape}{hint}"))
        elif state[key].shape != target.shape:
            problems.append((key, f"{layer} expects shape {target.shape}, the file holds {state[key].shape}"))
        elif state[key].dtype.kind != target.dtype.kind:
            wanted = "a float" if target.dtype.kind == "f" else f"an {target.dtype}"
            problems.append((key, f"{layer} expects {wanted} array, the file holds {state[key].dtype}"))
    missing = [key for key in expected if key not in state]
    for key in unexpected:
        hint = _did_you_mean(key, missing)
        problems.append(
            (key, f"unexpected array of shape {state[key].shape}; the model has no such key{hint}")
        )
    return problems


# --- the checks -------------------------------------------------------------------------------
class _Problem(Exception):
    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class _Failer:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, key: str, message: str):
        raise WeightsFileError(self.path, [(key, message)])


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _check_parameter(array: np.ndarray) -> np.ndarray:
    if array.dtype not in ARRAY_DTYPES:
        raise _Problem(f"expected a float32, float64 or int64 array, got dtype {array.dtype}")
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(array.size - np.count_nonzero(finite))
        first = tuple(int(i) for i in np.unravel_index(int(np.argmin(finite)), array.shape))
        raise _Problem(f"{bad} non-finite value(s) (nan or inf), first at index {first}")
    return array


def _parse_metadata(array: np.ndarray) -> dict:
    if array.shape != () or array.dtype.kind != "U":
        raise _Problem(f"expected a 0-d unicode array of JSON, got {array.dtype} of shape {array.shape}")
    try:
        metadata = json.loads(str(array[()]), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise _Problem(f"invalid JSON ({_describe(error)})") from None
    if not isinstance(metadata, dict):
        raise _Problem(f"expected a JSON object, got {type(metadata).__name__}")
    if kind_of_metadata(metadata) == CHECKPOINT:
        return metadata  # read_weights refuses it with one line naming what to use instead
    version = metadata.get("format")
    if type(version) is not int or version != FORMAT_VERSION:
        raise _Problem(
            f"unsupported format version {version!r}; this lddl reads {FORMAT_VERSION}",
            f"{METADATA_KEY}.format",
        )
    if metadata.get("dtype") not in ("float32", "float64"):
        raise _Problem(
            f"expected 'float32' or 'float64', got {metadata.get('dtype')!r}", f"{METADATA_KEY}.dtype"
        )
    model = metadata.get("model")
    if not isinstance(model, dict):
        raise _Problem(
            f"expected an object with the model's layers, got {type(model).__name__}", f"{METADATA_KEY}.model"
        )
    layers = model.get("layers")
    if not isinstance(layers, list) or not layers:
        raise _Problem(
            f"expected a non-empty list of layer specs, got {_short(layers)}", f"{METADATA_KEY}.model.layers"
        )
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("type"), str):
            raise _Problem(
                f"expected an object with a 'type' name, got {_short(layer)}",
                f"{METADATA_KEY}.model.layers.{index}",
            )
    return metadata


def _refuse_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_layers(path: Path, layers: list[dict], config_module) -> None:
    """Validate the layer specs exactly as a config's explicit ``model.layers`` would be."""
    skeleton = {
        "data": {"x": "-", "y": "-"},
        "train": {"epochs": 1, "batch_size": 1},
        "model": {"layers": layers},
    }
    try:
        config_module.config_from_dict(skeleton, str(path))
    except ConfigError as error:
        problems = [
            (f"{METADATA_KEY}.{p.key}", p.message) for p in error.problems if p.key.startswith("model")
        ]
        raise WeightsFileError(path, problems or [(f"{METADATA_KEY}.model", str(error))]) from None


def _check_allocation(path: Path, layers: list[dict], state: dict[str, np.ndarray]) -> None:
    """Refuse layer specs that would allocate far more than the file holds, before building.

    Every layer of lddl has at most as many parameters and buffers as the product of its integer
    sizes (Linear: in x out + out, BatchNorm: 4 x features); a spec whose sizes multiply past
    what the arrays hold cannot match them, and building it could exhaust memory.
    """
    held = sum(array.size for array in state.values())
    budget = 4 * held + 16 * len(layers) + 1024
    declared = 0
    for layer in layers:
        sizes = _integer_sizes(layer)
        declared += math.prod(sizes) if sizes else 0
        if declared > budget:
            key = f"{METADATA_KEY}.model.layers"
            message = f"layer sizes declare far more parameters than the file holds ({held} values)"
            raise WeightsFileError(path, [(key, message)])


def _integer_sizes(value: object) -> list[int]:
    """Every integer > 1 anywhere in a JSON value (iteratively: the value may be deeply nested)."""
    sizes: list[int] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and item > 1:
            sizes.append(item)
    return sizes


def _layer_name(layers: list[dict], key: str) -> str:
    index = key.split(".", 1)[0]
    if index.isdigit() and int(index) < len(layers):
        layer = layers[int(index)]
        sizes = {
            k: v for k, v in layer.items() if k != "type" and isinstance(v, int) and not isinstance(v, bool)
        }
        described = ", ".join(f"{k}={v}" for k, v in sizes.items())
        return f"layer {index} ({layer.get('type')}{': ' + described if described else ''})"
    return f"layer {index}"


def _did_you_mean(key: str, candidates: list[str]) -> str:
    matches = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


__all__ = [
    "FORMAT_VERSION",
    "Weights",
    "WeightsFileError",
    "compare_state",
    "load_model",
    "read_weights",
]
