"""The string metadata an exported file carries: names, task, lddl version and training config."""

from __future__ import annotations

import json

from .. import __version__


def export_metadata(metadata: dict) -> dict[str, str]:
    """{key: string} for ONNX metadata_props and the safetensors header (both take strings only)."""
    return {
        "lddl_version": __version__,
        "task": str(metadata.get("task", "regression")),
        "feature_names": json.dumps(metadata.get("features") or []),
        "target_names": json.dumps(metadata.get("targets") or []),
        "class_names": json.dumps(metadata.get("classes") or []),
        "training_config": json.dumps(metadata.get("config") or {}, sort_keys=True),
        "lddl_metadata": json.dumps(metadata, sort_keys=True),
    }
