"""The resolution at which a distance or a car time meets a bound, and the names thresholds
carry in column names. One rule for every comparison in the kit (shares beyond, classes, the
cash rule, the closure ranking, the second-nearest shares, the maps' classes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Units a threshold can be given in, and the divisor from the distance column to that unit.
_UNITS = {"km": 1000.0, "min": 1.0}


#: The resolution at which a distance meets a bound (metres). Road distances are sums of
#: pro-rata pieces of links, so a trip of exactly 5 000 m can come out as 5 000.000000000001 m;
#: every comparison of a distance with a bound (shares beyond, classes, the cash rule, the
#: closure ranking, the second-nearest shares) rounds the distance to the nearest 0,1 m first
#: (:func:`is_beyond`, :func:`classify`).
RESOLUTION_M = 0.1
#: The resolution at which a car time meets a bound (minutes): 0,01 min (0,6 s).
RESOLUTION_MIN = 0.01
#: Steps of the resolution per unit of a value or a bound (a multiplication by a whole number,
#: never a division by an inexact 0.1), and the resolution's number of decimals.
_STEPS = {"m": 10.0, "km": 10_000.0, "min": 100.0}
_DECIMALS = {"m": 1, "km": 4, "min": 2}
_RESOLUTION = {u: 1.0 / n for u, n in _STEPS.items()}


def _steps_per(unit: str) -> float:
    if unit not in _STEPS:
        raise ValueError(f"unit must be one of {list(_STEPS)}, not {unit!r}")
    return _STEPS[unit]


def at_resolution(value, unit: str) -> np.ndarray:
    """Values as whole steps of the stated resolution (0,1 m, 0,0001 km or 0,01 min).

    Parameters
    ----------
    value : array-like of float
        Distances in metres or km, or car times in minutes; NaN and inf stay as they are.
    unit : {"m", "km", "min"}
        Unit of ``value``.

    Returns
    -------
    ndarray of float
        ``value`` rounded to the nearest step, counted in steps (5 000.000000000001 m → 50 000).

    Notes
    -----
    The same value in the same unit always gives the same steps, so the shares beyond a
    threshold and the classes (both on km, ``road_m / 1000``) agree cell by cell.
    """
    n = _steps_per(unit)
    v = np.asarray(value, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.round(v * n)


def is_beyond(value, limit: float, unit: str) -> np.ndarray:
    """Whether each value is beyond ``limit``: the one comparison of a distance with a bound.

    A value is beyond the limit when, rounded to the stated resolution (:data:`RESOLUTION_M`,
    :data:`RESOLUTION_MIN`), it is strictly more than the limit; a value equal to the limit at
    that resolution is not beyond it. NaN or inf (cannot reach the service, or no point) is
    beyond every limit, as in :data:`BEYOND_DEFINITION`.

    Parameters
    ----------
    value : array-like of float
        Distances or car times in ``unit``.
    limit : float
        The bound in ``unit``.
    unit : {"m", "km", "min"}

    Returns
    -------
    ndarray of bool

    Example
    -------
    >>> is_beyond([5_000.000000000001, 5_000.1, np.nan], 5_000, "m").tolist()
    [False, True, True]
    """
    steps = at_resolution(value, unit)
    bound = at_resolution(limit, unit)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(steps) | (steps > bound)


def classify(value, bounds: Sequence[float], unit: str) -> np.ndarray:
    """Class of each value among ``bounds``, compared at the stated resolution.

    Class 0 is up to and including ``bounds[0]``, class ``i`` above ``bounds[i-1]`` up to and
    including ``bounds[i]``, class ``len(bounds)`` above the last bound; NaN or inf
    (unreachable) gets class ``len(bounds) + 1``. A value equal to a bound at the resolution
    belongs to the lower class, as :func:`is_beyond` says it is not beyond the bound.

    Parameters
    ----------
    value : array-like of float
        Distances or car times in ``unit``.
    bounds : sequence of float
        Increasing upper bounds of the classes in ``unit``.
    unit : {"m", "km", "min"}

    Returns
    -------
    ndarray of int
    """
    steps = at_resolution(value, unit)
    edges = at_resolution(np.asarray(bounds, dtype=float), unit)
    finite = np.isfinite(steps)
    cls = np.searchsorted(edges, np.where(finite, steps, 0.0), side="left")
    return np.where(finite, cls, len(edges) + 1)


def threshold_key(t: float, unit: str = "km") -> str:
    """The name a threshold carries in column names: exact, and the same for the same threshold.

    Ordinary thresholds read as before (``5``, ``10``, ``2.5``); the key reads back as the
    threshold (``float(threshold_key(t)) == t``), so two thresholds never share a column. A
    threshold finer than the resolution (:func:`check_thresholds`) is a ValueError.

    Parameters
    ----------
    t : float
        Threshold in ``unit``.
    unit : {"km", "min"}

    Example
    -------
    >>> threshold_key(10), threshold_key(2.5), threshold_key(10.0001)
    ('10', '2.5', '10.0001')
    """
    (t,) = check_thresholds((t,), unit)
    return f"{t:g}"


def second_col(limit: float, pop_col: str = "population") -> str:
    """The column with the share whose second-nearest point is beyond ``limit`` km by road.

    >>> second_col(10)
    'population_share_second_over_10km'
    """
    return f"{pop_col}_share_second_over_{threshold_key(limit)}km"


def share_col(limit: float, pop_col: str = "population", unit: str = "km") -> str:
    """The column of :func:`beyond_thresholds` with the share beyond ``limit``.

    >>> share_col(10), share_col(2.5, "pop_70plus"), share_col(10, unit="min")
    ('population_share_over_10km', 'pop_70plus_share_over_2.5km', 'population_share_over_10min')
    """
    return f"{pop_col}_share_over_{threshold_key(limit, unit)}{unit}"


def _snap(t: float, unit: str) -> float:
    """``t`` on the resolution grid, or a ValueError when it is finer than the resolution."""
    res = 1.0 / _steps_per(unit)
    steps = t * _steps_per(unit)
    whole = round(steps)
    # Float noise only (0.1 + 0.2 km is 0,3 km); a real finer part (10.0000001 km) is refused.
    if abs(steps - whole) > 1e-9 * max(1.0, abs(whole)):
        raise ValueError(
            f"threshold {t!r} {unit} is finer than the resolution at which distances meet a "
            f"bound ({res:g} {unit}); expected a multiple of {res:g} {unit}, e.g. "
            f"{round(t, _DECIMALS[unit]):g}"
        )
    return round(t, _DECIMALS[unit])


def check_thresholds(thresholds: Sequence[float], unit: str = "km") -> tuple[float, ...]:
    """Thresholds as a tuple of floats on the resolution grid, or a ValueError saying what was
    expected.

    Parameters
    ----------
    thresholds : sequence of float
        Distance (km) or time (min) limits; "beyond" means strictly more than the limit at the
        stated resolution (:func:`is_beyond`).
    unit : {"km", "min"}
        Unit of the thresholds, used in the message.

    Returns
    -------
    tuple of float
        The thresholds, each rounded to the resolution (0,0001 km, 0,01 min) when it differs
        from it by float noise only.

    Raises
    ------
    ValueError
        A threshold that is not a positive finite number; finer than the resolution
        (10.0000001 km would otherwise share the 10 km column); whose name in the columns
        would not read back as it (more than six significant digits, e.g. 100.0001 km); or
        two thresholds that are the same at the resolution.
    """
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {list(_UNITS)}, not {unit!r}")
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, Sequence):
        raise ValueError(
            f"thresholds must be a sequence of numbers of {unit}, e.g. (5, 10, 20); "
            f"got {thresholds!r}"
        )
    out = []
    for t in thresholds:
        if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
            raise ValueError(f"threshold {t!r} is not a number of {unit}")
        if not np.isfinite(t) or t <= 0:
            raise ValueError(f"threshold {t!r} {unit}: expected a positive finite number")
        snapped = _snap(float(t), unit)
        # Column names carry the threshold as f"{t:g}" (six significant digits); a threshold
        # whose name would not read back as it could share another's column.
        if float(f"{snapped:g}") != snapped:
            raise ValueError(
                f"threshold {t!r} {unit} has more than six significant digits, so its column "
                f"name ({snapped:g}) would not be exact; expected e.g. {float(f'{snapped:g}'):g}"
            )
        out.append(snapped)
    if not out:
        raise ValueError(f"no threshold given; expected e.g. (5, 10, 20) {unit}")
    named: dict[str, float] = {}
    for given, t in zip(thresholds, out, strict=True):
        if f"{t:g}" in named:
            raise ValueError(
                f"thresholds {named[f'{t:g}']!r} and {given!r} {unit} are the same at the "
                f"resolution ({_RESOLUTION[unit]:g} {unit}); expected distinct thresholds"
            )
        named[f"{t:g}"] = given
    return tuple(out)
