"""Swedish number and text formatting for reports.

Swedish style groups thousands with a space and uses a decimal comma: ``245 446`` and ``44,1``.
"""

from __future__ import annotations

import math
from numbers import Real

#: plotly ``layout.separators``: decimal comma, space as thousands separator.
PLOTLY_SEPARATORS = ", "


def number(value: Real | None, decimals: int = 0) -> str:
    """Format a number the Swedish way.

    Parameters
    ----------
    value : number or None
        The value; ``None`` and NaN give SCB's ``..`` (missing).
    decimals : int
        Digits after the decimal comma.

    Examples
    --------
    >>> number(245446)
    '245 446'
    >>> number(44.123, 1)
    '44,1'
    >>> number(-1234.5, 1)
    '−1 234,5'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ".."
    text = f"{abs(float(value)):,.{decimals}f}".replace(",", " ").replace(".", ",")
    if float(value) < 0 and text.strip("0, ") != "":
        text = "−" + text  # typographic minus, as SCB prints it
    return text


def percent(value: Real | None, decimals: int = 1) -> str:
    """Format a share given in percent (``12.34`` → ``'12,3 %'``)."""
    return (
        ".."
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{number(value, decimals)} %")
    )


def signed(value: Real | None, decimals: int = 0, suffix: str = "") -> str:
    """Format a change with an explicit sign (``+1 234``, ``−56``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ".."
    sign = "+" if float(value) > 0 else ""
    return f"{sign}{number(value, decimals)}{suffix}"


def ranking_phrase(rank: int, total: int, higher_is: str = "högst", where: str = "i landet") -> str:
    """Swedish phrase for a rank among ``total`` (1 = highest) ``where`` they are, e.g.
    ``'näst högst i landet'``, ``'lägst i länet'``, ``'plats 4 av 12 i länet'``."""
    lower = "lägst" if higher_is == "högst" else "högst"
    if rank == 1:
        return f"{higher_is} {where}"
    if rank == 2:
        return f"näst {higher_is} {where}"
    if rank == total:
        return f"{lower} {where}"
    if rank == total - 1:
        return f"näst {lower} {where}"
    return f"plats {rank} av {total} {where}"
