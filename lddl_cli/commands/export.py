"""``lddl export``: a weights file as ONNX (the whole prediction: scaler, layers, outputs) or
safetensors (the state_dict under its torch names), written atomically, never over a file."""

from __future__ import annotations

import difflib
from pathlib import Path

from ..errors import UsageError
from ..export.metadata import export_metadata
from ..export.onnx_graph import NEWEST_OPSET, OLDEST_OPSET
from ..export.safetensors_file import safetensors_bytes
from ..files.atomic import write_bytes
from ..files.kind import WEIGHTS, wrong_kind_line
from ..files.weights import load_model

FORMATS = {"onnx": ".onnx", "safetensors": ".safetensors"}


def check_format(format_: str) -> str:
    if format_ in FORMATS:
        return format_
    match = difflib.get_close_matches(str(format_).lower(), list(FORMATS), n=1, cutoff=0.5)
    hint = f" (did you mean {match[0]!r}?)" if match else ""
    raise UsageError(f"--format: expected onnx or safetensors; got {format_!r}{hint}")


def out_path(weights: Path, format_: str, out: Path | None, overwrite: bool) -> Path:
    """--out, or the weights file's name with the format's suffix; refused if it exists (unless
    --overwrite), if its folder is missing or if its suffix is another format's."""
    suffix = FORMATS[format_]
    out = weights.with_suffix(suffix) if out is None else out
    if out.suffix.lower() != suffix:
        raise UsageError(f"--out: a {format_} file ends in {suffix}; got {str(out)!r}")
    if not out.parent.is_dir():
        raise UsageError(f"--out: folder {str(out.parent)!r} does not exist")
    if out.exists() and not overwrite:
        raise UsageError(f"--out: {str(out)!r} already exists; give --overwrite to replace it")
    return out


def export_command(
    weights: Path, format_: str, out: Path | None, *, opset: int | None = None, overwrite: bool = False
) -> Path:
    """Write the export of ``weights``; return the path written."""
    format_ = check_format(format_)
    if weights.suffix.lower() in (".yaml", ".yml"):
        raise UsageError(f"{weights}: a config; train it first (lddl train), then export its model.npz")
    line = wrong_kind_line(weights, WEIGHTS)
    if line is not None:
        raise UsageError(line)
    if opset is not None and format_ != "onnx":
        raise UsageError("--opset goes with --format onnx")
    opset = NEWEST_OPSET if opset is None else opset
    if not OLDEST_OPSET <= opset <= NEWEST_OPSET:
        raise UsageError(f"--opset: lddl export writes opsets {OLDEST_OPSET} to {NEWEST_OPSET}; got {opset}")
    path = out_path(weights, format_, out, overwrite)
    model, metadata = load_model(weights)
    if format_ == "safetensors":
        data = safetensors_bytes(model.state_dict(), export_metadata(metadata))
    else:
        from ..export.onnx_model import onnx_model

        data = onnx_model(model, metadata, opset).SerializeToString()
    return write_bytes(path, data)
