"""Components of population change: natural increase, domestic and international net migration
and SCB's adjustment item, per kommun or summed to an area, from the rows
:func:`lansanalys.sources.forandringar.read_forandringar` reads.
"""

from __future__ import annotations

import pandas as pd

from lansanalys.sources.forandringar import LABELS

#: Change components the figures show, with their Swedish labels.
PARTS: dict[str, str] = {
    "fodelseoverskott": "Födelseöverskott (födda − döda)",
    "inrikes_netto": "Inrikes flyttnetto",
    "utrikes_netto": "Utrikes flyttnetto (invandrade − utvandrade)",
    "justering": "Justeringspost",
}


#: The file's components each derived part needs; a part whose inputs are not all in the file
#: is left out (NaN), never computed with the missing flows taken as 0.
REQUIRES: dict[str, tuple[str, ...]] = {
    "fodelseoverskott": ("fodda", "doda"),
    "utrikes_netto": ("invandringar", "utvandringar"),
    "inrikes_netto": ("inflyttningar", "utflyttningar", "invandringar", "utvandringar"),
    "flyttnetto": ("inflyttningar", "utflyttningar"),
    "justering": ("justering",),
}
#: SCB's Swedish names of the file's components, for the report's "what is missing" sentence.
SWEDISH: dict[str, str] = {
    "folkokning": "folkökning",
    "fodda": "födda",
    "doda": "döda",
    "inflyttningar": "samtliga inflyttningar",
    "utflyttningar": "samtliga utflyttningar",
    "invandringar": "invandringar",
    "utvandringar": "utvandringar",
    "justering": "justeringspost",
}


def _sum_all(s: pd.Series) -> float:
    """Sum that is NaN when any part is: a total of partial data is no total."""
    return float(s.sum(skipna=False))


def components(forand: pd.DataFrame, codes_of: pd.Series | dict | None = None) -> pd.DataFrame:
    """Split each year's change into natural increase, net migration and adjustment.

    Parameters
    ----------
    forand : DataFrame
        ``kommun_kod, year, component, value`` from :func:`read_forandringar`.
    codes_of : Series or dict, optional
        Map kommun_kod → area code (e.g. ``str[:2]`` for län) to sum over; default per kommun.

    Returns
    -------
    DataFrame
        ``code, year`` and the people of each part in :data:`PARTS`, ``flyttnetto`` (all moves
        in minus all moves out), ``folkokning`` (the total change) and ``fodda``, ``doda``.
        Domestic net migration is the moves in minus the moves out that are not international;
        moves between kommuner of one län cancel when the län is summed.

        Only what the file supports is derived: a part needs every component in
        :data:`REQUIRES` (a file without inflyttningar/utflyttningar has no domestic net
        migration, NaN, rather than one computed as if nobody moved). Folkökning is the file's,
        or födda − döda + inflyttningar − utflyttningar + justeringspost when the file lacks it
        but has all of those. An area sum is NaN where any of its kommuner lacks the value
        (``..``).
    """
    wide = forand.set_index(["kommun_kod", "year", "component"])["value"].unstack("component")
    wide = wide.reindex(columns=sorted(set(LABELS.values())))
    w = wide.astype(float)
    out = pd.DataFrame(index=w.index)
    out["fodda"], out["doda"] = w["fodda"], w["doda"]
    out["fodelseoverskott"] = w["fodda"] - w["doda"]
    out["utrikes_netto"] = w["invandringar"] - w["utvandringar"]
    out["inrikes_netto"] = (w["inflyttningar"] - w["invandringar"]) - (
        w["utflyttningar"] - w["utvandringar"]
    )
    out["flyttnetto"] = w["inflyttningar"] - w["utflyttningar"]
    out["justering"] = w["justering"]
    derived = out["fodelseoverskott"] + out["flyttnetto"] + w["justering"]
    out["folkokning"] = w["folkokning"].where(w["folkokning"].notna(), derived)
    out = out.reset_index()
    if codes_of is None:
        out["code"] = out["kommun_kod"]
    else:
        out["code"] = out["kommun_kod"].map(codes_of)
    cols = ["fodda", "doda", *PARTS, "flyttnetto", "folkokning"]
    res = out.groupby(["code", "year"])[cols].agg(_sum_all).reset_index()
    return res[["code", "year", *cols]]


def missing_parts(forand: pd.DataFrame) -> dict[str, list[str]]:
    """Parts (and ``folkokning``) the file cannot give, each with the components it lacks."""
    have = set(forand.loc[forand["value"].notna(), "component"])
    out = {p: [c for c in need if c not in have] for p, need in REQUIRES.items()}
    if "folkokning" not in have:
        out["folkokning"] = ["folkokning"]
    return {p: lacks for p, lacks in out.items() if lacks}


def parts_to_show(missing: dict[str, list[str]]) -> dict[str, str]:
    """The parts a figure can draw (key → Swedish label), given :func:`missing_parts`.

    When neither domestic nor international net migration can be split out but all moves in
    and out are there, the total net migration (flyttnetto) is drawn in their place.
    """
    parts = {k: v for k, v in PARTS.items() if k not in missing}
    if {"inrikes_netto", "utrikes_netto"} <= set(missing) and "flyttnetto" not in missing:
        parts["flyttnetto"] = "Flyttnetto (inflyttade − utflyttade)"
    return parts
