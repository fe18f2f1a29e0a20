"""Kommun classifications (SKR kommungrupper or any kommun → class CSV)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lansanalys.sources.common import (
    file_reader,
    find_column,
    parse_kommun_codes_once,
    table_after_header,
)


@file_reader
def read_klassning(path: Path) -> pd.DataFrame:
    """Read a kommun classification (SKR kommungrupper or any kommun → class CSV).

    Returns ``kommun_kod, scheme, class_code, class_name``; every kommun must appear once.
    """
    path = Path(path)
    df, header_line = table_after_header(path, r"kommun")
    first = header_line + 1
    kcol = find_column(df, path, r"kommunkod|kommun_kod|kod", "kommun code")
    ccol = find_column(df, path, r"skr_gruppkod|gruppkod|klass|class|grupp", "class")
    ncol = find_column(
        df,
        path,
        r"skr_kommungrupp|kommungrupp|klassnamn|class_name|namn",
        "class name",
        required=False,
    )
    codes = parse_kommun_codes_once(df[kcol].str.strip(), path, kcol, first)
    scheme = "SKR kommungrupper" if "skr" in ccol.lower() else ccol
    return pd.DataFrame(
        {
            "kommun_kod": codes.to_numpy(),
            "scheme": scheme,
            "class_code": df[ccol].str.strip().to_numpy(),
            "class_name": (df[ncol] if ncol else df[ccol]).str.strip().to_numpy(),
        }
    )
