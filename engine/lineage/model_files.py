"""Saving a trained model (atomically, hashed) and loading it back (hash verified first)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftline.engine.lineage.atomic import atomic_write_text, atomic_write_bytes
from driftline.engine.errors import ModelError
from driftline.engine.components.kinds.model import Model
from driftline.engine.components.registry import Registry

#: Name of the JSON file beside the model that says how to load and use it.
MODEL_CARD = "model.json"


@dataclass(frozen=True)
class SavedModel:
    path: Path
    sha256: str
    size_bytes: int
    format: str


def save_model(model: Model, folder: Path, *, extra: dict[str, Any]) -> SavedModel:
    """Write the model in its own format and its card; both atomically."""
    try:
        data = model.dumps()
        metadata = model.metadata()
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"model '{model.registered_name}' could not be serialised: "
                         f"{type(exc).__name__}: {exc}") from exc
    if model.file_name == MODEL_CARD:
        raise ModelError(f"model '{model.registered_name}' saves to '{MODEL_CARD}', the name of the "
                         f"engine's model card; its author must choose another file_name.")
    path = folder / model.file_name
    digest = hashlib.sha256(data).hexdigest()
    atomic_write_bytes(path, data)
    card = {"kind": model.registered_name, "format": model.format, "file": model.file_name,
            "sha256": digest, "size_bytes": len(data), "metadata": metadata, **extra}
    atomic_write_text(folder / MODEL_CARD, json.dumps(card, indent=2, sort_keys=True, default=str))
    return SavedModel(path, digest, len(data), model.format)


def read_model_card(folder: Path) -> dict[str, Any]:
    """The card saved beside a model (what it was trained on: features, target, label
    inputs, target encoding)."""
    try:
        return json.loads((folder / MODEL_CARD).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the model card in {folder}: {exc}. Was the run folder "
                         f"moved or deleted?") from exc


def load_model(registry: Registry, folder: Path, expected_sha256: str) -> tuple[Model, dict]:
    """Load a saved model after checking its bytes hash to the recorded sha256."""
    card_path = folder / MODEL_CARD
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        data = (folder / card["file"]).read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot read the model in {folder}: {exc}. Was the run folder moved "
                         f"or deleted?") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelError(f"model file {folder / card['file']} has sha256 {actual[:12]}..., but "
                         f"the store recorded {expected_sha256[:12]}...; it was changed after "
                         f"training and will not be loaded. Re-run or restore the file.")
    cls = registry.load("model", card["kind"])
    try:
        return cls.loads(data, card["metadata"]), card
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"model '{card['kind']}' in {folder} could not be loaded: {exc}") from exc
