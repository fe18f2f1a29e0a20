"""The service types: one row each, and everything the kit knows about a type derives from here.

The types follow Tillväxtverket's Serviceanalys (Pipos). A row holds the report label and noun,
the Swedish labels that name the type in Pipos exports and other lists, the OpenStreetMap tags
that mark it (which the Overpass query, the ``.osm.pbf`` reader and the Overpass JSON reader all
use), and the legal limit where one applies (the cash rule). **A new type is one new row.**

>>> SERVICE_TYPES["apotek"]
'Apotek och apoteksombud'
>>> pipos_type("Dagligvaror, fullsortiment")
'dagligvaror'
>>> osm_type("post_office", "post_partner")
'post_paket'
>>> CASH_RULE_LIMITS
{'kontantuttag': 0.3, 'dagskasseinsattning': 1.22}
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceType:
    """One service type and how it is recognised in each source."""

    #: Identifier used in every table (``service_type``).
    code: str
    #: Swedish label in reports ("Apotek och apoteksombud").
    label: str
    #: Singular Swedish noun for "the nearest …" in titles ("apotek eller apoteksombud").
    noun: str
    #: Lower-case prefixes of the Swedish labels in Pipos exports and similar lists; the first
    #: prefix (in table order) that starts a label wins.
    pipos_labels: tuple[str, ...]
    #: OpenStreetMap ``(key, value)`` tags that mark a point of this type.
    osm_tags: tuple[tuple[str, str], ...] = ()
    #: Legal limit in per cent of the population beyond :data:`CASH_RULE_KM` (the cash rule).
    cash_rule_limit_pct: float | None = None
    #: Short Swedish name for narrow table columns ("Butik", "Post").
    short: str = ""
    #: An everyday service a village asks for first (the ort table and map show these).
    everyday: bool = False
    #: Plural Swedish noun for counts ("antalet dagligvarubutiker"); default the label.
    plural: str = ""


#: The table. Order is report order.
SERVICES: tuple[ServiceType, ...] = (
    ServiceType(
        "dagligvaror",
        "Dagligvaror",
        "dagligvarubutik",
        ("dagligvaror", "dagligvarubutik", "livsmedel"),
        (("shop", "supermarket"), ("shop", "convenience"), ("shop", "grocery")),
        short="Butik",
        plural="dagligvarubutiker",
        everyday=True,
    ),
    ServiceType(
        "drivmedel",
        "Drivmedel",
        "drivmedelsstation",
        ("drivmedel", "bensin"),
        (("amenity", "fuel"),),
        short="Drivmedel",
        plural="drivmedelsstationer",
        everyday=True,
    ),
    ServiceType(
        "apotek",
        "Apotek och apoteksombud",
        "apotek eller apoteksombud",
        ("apotek", "apoteksombud"),
        (("amenity", "pharmacy"),),
        short="Apotek",
        plural="apotek och apoteksombud",
        everyday=True,
    ),
    ServiceType(
        "post_paket",
        "Post och paket",
        "post- eller paketombud",
        ("post", "paket", "ombud för post"),
        (
            ("amenity", "post_office"),
            ("amenity", "post_partner"),
            ("amenity", "parcel_locker"),
            ("vending", "parcel_pickup"),
            ("post_office", "post_partner"),
        ),
        short="Post",
        plural="post- och paketombud",
        everyday=True,
    ),
    ServiceType(
        "kontantuttag",
        "Kontantuttag",
        "uttagsautomat",
        ("kontantuttag", "uttagsautomat", "bankomat"),
        (("amenity", "atm"),),
        cash_rule_limit_pct=0.3,
        short="Kontanter",
        plural="uttagsautomater",
        everyday=True,
    ),
    ServiceType(
        "betalningsformedling",
        "Betalningsförmedling",
        "betalningsförmedling",
        ("betalningsförmedling", "betaltjänst"),
        (("amenity", "bank"),),
        short="Betaltjänst",
        plural="ställen för betalningsförmedling",
    ),
    ServiceType(
        "dagskasseinsattning",
        "Dagskasseinsättning",
        "plats för dagskasseinsättning",
        ("dagskasse", "dagkasse"),
        cash_rule_limit_pct=1.22,
        short="Dagskassa",
        plural="platser för dagskasseinsättning",
    ),
)

BY_CODE: dict[str, ServiceType] = {s.code: s for s in SERVICES}

#: The everyday services, in report order (the ort table and map show these).
EVERYDAY_TYPES: tuple[str, ...] = tuple(s.code for s in SERVICES if s.everyday)
#: code → short Swedish name for narrow columns.
SHORT_LABELS: dict[str, str] = {s.code: s.short or s.label for s in SERVICES}

#: code → Swedish report label.
SERVICE_TYPES: dict[str, str] = {s.code: s.label for s in SERVICES}
#: code → singular Swedish noun for "the nearest …".
SERVICE_NOUNS: dict[str, str] = {s.code: s.noun for s in SERVICES}

#: The cash rule (lagen om betaltjänster, 2021, supervised by PTS): the share of the population
#: more than this many km from the service may not exceed each type's limit.
CASH_RULE_KM = 25.0
CASH_RULE_LIMITS: dict[str, float] = {
    s.code: s.cash_rule_limit_pct for s in SERVICES if s.cash_rule_limit_pct is not None
}

#: Swedish label prefix → type, in table order (first match wins).
PIPOS_LABELS: dict[str, str] = {p: s.code for s in SERVICES for p in s.pipos_labels}

#: OpenStreetMap ``(key, value)`` → type.
OSM_TAG_TYPES: dict[tuple[str, str], str] = {kv: s.code for s in SERVICES for kv in s.osm_tags}
#: OpenStreetMap keys that carry a service tag, in first-use order.
OSM_SERVICE_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for k, _ in OSM_TAG_TYPES))
#: A bare OSM tag value → type, for files whose type column holds values such as ``fuel``.
OSM_VALUE_TYPES: dict[str, str] = {v: t for (_, v), t in OSM_TAG_TYPES.items()}


def pipos_type(label: str) -> str | None:
    """The type a Swedish service label names ("Dagligvaror, fullsortiment" → dagligvaror)."""
    key = str(label).strip().lower()
    for prefix, code in PIPOS_LABELS.items():
        if key.startswith(prefix):
            return code
    return None


def osm_type(key: str, value: object) -> str | None:
    """The type an OpenStreetMap tag marks, or None."""
    return OSM_TAG_TYPES.get((key, value))  # type: ignore[arg-type]


def overpass_filters() -> tuple[str, ...]:
    """Overpass QL tag filters, one per key, selecting exactly the tags of the table.

    >>> overpass_filters()[0]
    '["shop"~"^(supermarket|convenience|grocery)$"]'
    """
    out = []
    for key in OSM_SERVICE_KEYS:
        values = [v for (k, v) in OSM_TAG_TYPES if k == key]
        out.append(
            f'["{key}"="{values[0]}"]'
            if len(values) == 1
            else f'["{key}"~"^({"|".join(values)})$"]'
        )
    return tuple(out)
