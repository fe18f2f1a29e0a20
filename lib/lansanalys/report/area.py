"""An area a report is about: riket, a län or a kommun, with its parent and children.

Every chapter is a function of one area's data (:class:`~lansanalys.report.data.AreaData`), and
what differs between a län report, a kommun deep dive and the riksöversikt is the area, never
the code. :class:`Area` holds what is known from the codes alone (names, slugs, parent,
children, the column and filter that select the area in the processed tables); peers that need
data (the kommungrupp) live in :class:`~lansanalys.report.data.AreaData`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from lansanalys import geo

#: Code of riket in every table (the build stores riket as län "00").
RIKET = "00"

#: Level → the column that holds an area's code in the processed tables.
KEYS = {"riket": "riket", "lan": "lan_kod", "kommun": "kommun_kod"}

#: Level → the level of its children.
CHILD_LEVEL = {"riket": "lan", "lan": "kommun", "kommun": None}

#: Level → how the children are named in Swedish (plural, definite).
CHILD_NOUN = {"riket": "länen", "lan": "kommunerna", "kommun": "orterna"}


@dataclass(frozen=True)
class Area:
    """Riket (``"00"``), a län (``"08"``) or a kommun (``"0821"``).

    Parameters
    ----------
    level : {"riket", "lan", "kommun"}
    code : str
        ``"00"`` for riket, the two-character län code or the four-character kommun code.

    Example
    -------
    >>> a = Area.of("0821")
    >>> a.name, a.parent.name, a.parent.parent.name
    ('Högsby', 'Kalmar län', 'Riket')
    """

    level: str
    code: str

    def __post_init__(self) -> None:
        if self.level not in KEYS:
            raise ValueError(f"level must be one of {list(KEYS)}, not {self.level!r}")

    # ---- constructors ------------------------------------------------------------------------
    @classmethod
    def riket(cls) -> Area:
        return cls("riket", RIKET)

    @classmethod
    def lan(cls, lan_kod: object) -> Area:
        """A län from its code; a notebook parameter that arrived as a number is padded."""
        return cls("lan", geo.lan_parameter(lan_kod))

    @classmethod
    def kommun(cls, kommun_kod: object) -> Area:
        """A kommun from its code; a notebook parameter that arrived as a number is padded."""
        return cls("kommun", geo.kommun_parameter(kommun_kod))

    @classmethod
    def of(cls, code: object) -> Area:
        """The area a code names: ``"00"`` riket, two characters a län, four a kommun."""
        if isinstance(code, int | float) and not isinstance(code, bool):
            # A notebook parameter that arrived as a number: 8 is a län, 821 a kommun.
            return cls.riket() if code == 0 else cls.lan(code) if code < 100 else cls.kommun(code)
        text = str(code)
        if text in ("", RIKET, "riket"):
            return cls.riket()
        return cls.lan(text) if len(text) <= 2 else cls.kommun(text)

    # ---- names ---------------------------------------------------------------------------------
    @cached_property
    def name(self) -> str:
        if self.level == "riket":
            return "Riket"
        if self.level == "lan":
            return geo.lan_name(self.code)
        return geo.kommun_name(self.code)

    @cached_property
    def slug(self) -> str:
        """File name of the area's report without ``.html`` (``index`` for riket)."""
        if self.level == "riket":
            return "index"
        return geo.lan_slug(self.code) if self.level == "lan" else geo.kommun_slug(self.code)

    @property
    def where(self) -> str:
        """ "i Högsby", "i Kalmar län", "i riket"."""
        return "i riket" if self.level == "riket" else f"i {self.name}"

    @property
    def kind(self) -> str:
        """The area's kind in Swedish: "riket", "länet", "kommunen"."""
        return {"riket": "riket", "lan": "länet", "kommun": "kommunen"}[self.level]

    # ---- structure -------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The column that holds this level's codes in the processed tables."""
        return KEYS[self.level]

    @property
    def lan_kod(self) -> str | None:
        """The län the area lies in (None for riket)."""
        return None if self.level == "riket" else self.code[:2]

    @cached_property
    def parent(self) -> Area | None:
        if self.level == "riket":
            return None
        return Area.riket() if self.level == "lan" else Area.lan(self.code[:2])

    @property
    def lineage(self) -> list[Area]:
        """The area, then its parent, up to riket (Högsby, Kalmar län, Riket)."""
        out, a = [], self
        while a is not None:
            out.append(a)
            a = a.parent
        return out

    @property
    def child_level(self) -> str | None:
        return CHILD_LEVEL[self.level]

    @cached_property
    def children(self) -> tuple[Area, ...]:
        """The 21 län of riket, the kommuner of a län; a kommun's orter are data, not areas."""
        if self.level == "riket":
            return tuple(Area("lan", c) for c in geo.lan_codes())
        if self.level == "lan":
            return tuple(Area("kommun", c) for c in geo.kommun_codes(self.code))
        return ()

    @cached_property
    def siblings(self) -> tuple[Area, ...]:
        """The parent's children (this area included): the kommuner of a kommun's län."""
        return self.parent.children if self.parent is not None else (self,)

    @cached_property
    def kommun_codes(self) -> list[str]:
        """Every kommun in the area."""
        if self.level == "kommun":
            return [self.code]
        return geo.kommun_codes(None if self.level == "riket" else self.code)

    def filters(self, key: str | None = None) -> list | None:
        """Parquet filters that select the area's rows (None: the whole country).

        ``key`` names the code column when a table has no column of the area's own level
        (a kommun's rows of a table keyed by ``kommun_kod`` are selected with the default).
        """
        if self.level == "riket":
            return None
        return [(key or self.key, "==", self.code)]
