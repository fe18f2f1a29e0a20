"""JSON-stat 2.0 (SCB PxWeb API v1 and v2 answers) to a tidy DataFrame."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _categories(dim: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    cat = dim["category"]
    index = cat.get("index")
    if index is None:  # a single category may omit the index
        codes = list(cat["label"])
    elif isinstance(index, dict):
        codes = [c for c, _ in sorted(index.items(), key=lambda kv: kv[1])]
    else:
        codes = list(index)
    labels = cat.get("label", {})
    return codes, {c: labels.get(c, c) for c in codes}


def to_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Flatten a JSON-stat 2.0 dataset: one column per dimension (code), ``<dim>_label`` and
    ``value`` (float, NaN where the dataset has null or a missing status).

    Values are in row-major order over ``id`` (the last dimension varies fastest), as the format
    prescribes; a sparse ``value`` object (position → value) is supported.
    """
    if doc.get("class") not in (None, "dataset") or "dimension" not in doc:
        raise ValueError("not a JSON-stat 2.0 dataset (no 'dimension' or class is not 'dataset')")
    ids, sizes = doc["id"], doc["size"]
    n = int(np.prod(sizes))
    raw = doc["value"]
    values = np.full(n, np.nan)
    if isinstance(raw, dict):
        for k, v in raw.items():
            values[int(k)] = np.nan if v is None else float(v)
    else:
        if len(raw) != n:
            raise ValueError(f"JSON-stat has {len(raw)} values, the dimensions give {n}")
        values = np.array([np.nan if v is None else float(v) for v in raw])
    grids = np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
    out = {}
    for dim_id, grid in zip(ids, grids, strict=True):
        codes, labels = _categories(doc["dimension"][dim_id])
        if len(codes) != sizes[ids.index(dim_id)]:
            raise ValueError(
                f"dimension {dim_id!r}: {len(codes)} categories, size says "
                f"{sizes[ids.index(dim_id)]}"
            )
        code_arr = np.array(codes, dtype=object)[grid.ravel()]
        out[dim_id] = code_arr
        out[f"{dim_id}_label"] = np.array([labels[c] for c in codes], dtype=object)[grid.ravel()]
    out["value"] = values
    return pd.DataFrame(out)


def read(path: Path) -> pd.DataFrame:
    """Read a JSON-stat 2.0 file (PxWeb v1 POST answer or v2 ``/data`` answer)."""
    with open(path, encoding="utf-8-sig") as fh:
        return to_frame(json.load(fh))
