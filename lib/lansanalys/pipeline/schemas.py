"""Schemas of the processed tables (pandera): the data contract between build and reports."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.pandas import Check, Column, DataFrameSchema

from lansanalys.analysis.place_types import PLACE_TYPES, URBAN_RURAL
from lansanalys.services import SERVICE_TYPES

KOMMUN = Column(str, Check.str_matches(r"^\d{4}$"), nullable=False)
LAN = Column(str, Check.str_matches(r"^\d{2}$"), nullable=False)
X = Column(float, Check.in_range(200_000, 1_000_000))
Y = Column(float, Check.in_range(6_100_000, 7_700_000))

BEFOLKNING = DataFrameSchema(
    {
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
        "year": Column(int, Check.in_range(1860, 2200)),  # readers check the plausible range
        "age": Column(int, Check.in_range(0, 100)),
        "sex": Column(str, Check.isin(["män", "kvinnor"])),
        "population": Column(float, Check.ge(0), nullable=True),
    },
    unique=["kommun_kod", "year", "age", "sex"],
    strict=True,
    name="befolkning",
)

RUTOR = DataFrameSchema(
    {
        "cell_id": Column(str, unique=True),
        "x": X,
        "y": Y,
        # One cell size per grid (the readers and the build check it first, naming the file).
        "size_m": Column(
            int,
            [
                Check.isin([250, 500, 1000, 5000]),
                Check(lambda s: s.nunique() <= 1, element_wise=False, error="one cell size"),
            ],
        ),
        "population": Column(int, Check.ge(0)),
        "pop_65plus": Column("Int64", Check.ge(0), nullable=True),
        "pop_70plus": Column("Int64", Check.ge(0), nullable=True),
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
    },
    strict=True,
    name="rutor",
)

SERVICE = DataFrameSchema(
    {
        "point_id": Column(str, unique=True),
        "service_type": Column(str, Check.isin(list(SERVICE_TYPES))),
        "label": Column(str),
        "name": Column(str),
        "x": X,
        "y": Y,
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
        "source": Column(str),
    },
    strict=True,
    name="service",
)

STOD = DataFrameSchema(
    {
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
        "year": Column(int, Check.in_range(1860, 2200)),  # readers check the plausible range
        "programme": Column(str, Check.str_length(min_value=1)),
        "amount_sek": Column(float, Check.ge(0)),
        "recipient": Column(str),
    },
    strict=True,
    name="stod",
)

NEAREST = DataFrameSchema(
    {
        "cell_id": Column(str),
        "service_type": Column(str, Check.isin(list(SERVICE_TYPES))),
        "dist_m": Column(float, Check.ge(0)),
        "point_id": Column(str),
        "dist2_m": Column(float, Check.ge(0), nullable=True),
        # Along the road network; NaN (never 0 by default) where the cell cannot reach the type.
        "road_m": Column(float, Check.ge(0), nullable=True),
        "road_min": Column(float, Check.ge(0), nullable=True),
        "road_point_id": Column(str, nullable=True),  # the nearest point by road km
        # The fastest point by car minutes (``road_min`` is to it); may differ from the nearest.
        "road_min_point_id": Column(str, nullable=True),
        # The second-nearest point by road km (another point): where people would go if the
        # nearest closed. NaN where fewer than two points can be reached.
        "road2_m": Column(float, Check.ge(0), nullable=True),
        "road2_point_id": Column(str, nullable=True),
        "reachable": Column(bool),
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
    },
    unique=["cell_id", "service_type"],
    strict=True,
    name="nearest",
)

#: Which län have service data of which type (:func:`lansanalys.pipeline.service_coverage`): areas
#: without it get no access figure.
COVERAGE = DataFrameSchema(
    {
        "lan_kod": LAN,
        "service_type": Column(str, Check.isin(list(SERVICE_TYPES))),
        "covered": Column(bool),
        "basis": Column(str, Check.isin(["declared", "inferred", "extract", ""])),
        "source": Column(str),
        "reason": Column(str),
    },
    unique=["lan_kod", "service_type"],
    checks=[
        # Covered rows say where from, uncovered rows say why not.
        Check(lambda df: (df["covered"] == (df["source"] != "")).all(), name="source_iff_covered"),
        Check(lambda df: (df["covered"] == (df["reason"] == "")).all(), name="reason_iff_missing"),
    ],
    strict=True,
    name="coverage",
)

#: The closure ranking (:func:`lansanalys.pipeline.tables._closure_tables`): every service point,
#: the people it serves and those its closure alone would push beyond the closure distance.
#: ``complete`` False: the service files cannot answer for some of its people (a cell beyond
#: the area where the files hold every point); the figures then count only the people they can
#: answer for, and a report shows "uppgift saknas" for the point.
CLOSURE = DataFrameSchema(
    {
        "point_id": Column(str),
        "name": Column(str),
        "label": Column(str),
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
        "pushed_beyond": Column(float, Check.ge(0)),
        "served": Column(float, Check.ge(0)),
        "service_type": Column(str, Check.isin(list(SERVICE_TYPES))),
        "complete": Column(bool),
    },
    unique=["point_id", "service_type"],
    checks=[
        Check(lambda df: (df["pushed_beyond"] <= df["served"]).all(), name="pushed_le_served"),
    ],
    strict=True,
    name="closure",
)

#: Every populated cell's types of place (:func:`lansanalys.pipeline.place_types.cell_table`).
ORTSTYP = DataFrameSchema(
    {
        "cell_id": Column(str, unique=True),
        "kommun_kod": KOMMUN,
        "lan_kod": LAN,
        "population": Column(int, Check.ge(0)),
        "pop_70plus": Column("Float64", Check.ge(0), nullable=True),
        "urban": Column(str, Check.isin(list(URBAN_RURAL))),
        "place_type": Column(str, Check.isin(list(PLACE_TYPES))),
        # Car minutes along the roads; 0 inside, NaN without a road link (never 0 then).
        "town_min": Column(float, Check.ge(0), nullable=True),
        "urban_cluster": Column(bool),
        "city_min": Column(float, Check.ge(0), nullable=True),
    },
    checks=[
        # No road link to a tätort of 3 000+ (an island without a fixed link) is glesbygd.
        Check(
            lambda df: (df.loc[df["town_min"].isna(), "place_type"] == "glesbygd").all(),
            name="unreachable_is_glesbygd",
        ),
    ],
    strict=True,
    name="ortstyp",
)

#: Every kommun's kommuntyp (:func:`lansanalys.pipeline.place_types.kommuntyp_table`).
KOMMUNTYP = DataFrameSchema(
    {
        "kommun_kod": Column(str, Check.str_matches(r"^\d{4}$"), unique=True),
        "lan_kod": LAN,
        "typ6": Column("Int64", Check.in_range(1, 6)),
        "typ6_name": Column(str),
        "typ3": Column("Int64", Check.in_range(1, 3)),
        "typ3_name": Column(str),
        "basis": Column(str, Check.isin(["tillvaxtanalys", "computed"])),
        "computed_typ6": Column("Int64", Check.in_range(1, 6), nullable=True),
        "rural_share": Column(float, Check.in_range(0, 100), nullable=True),
        "near_share": Column(float, Check.in_range(0, 100), nullable=True),
        "mean_min": Column(float, Check.ge(0), nullable=True),
        "unreachable_share": Column(float, Check.in_range(0, 100), nullable=True),
        "metro_population": Column(float, Check.ge(0), nullable=True),
    },
    strict=True,
    name="kommuntyp",
)

#: Groups of kommuner for programme follow-up (:func:`lansanalys.sources.grupper.read_grupper`).
GRUPPER = DataFrameSchema(
    {
        "group_id": Column(str, Check.str_matches(r"^[a-z0-9][a-z0-9-]*$")),
        "group_name": Column(str, Check.str_length(min_value=1)),
        "period_start": Column(int, Check.in_range(1860, 2200)),
        "period_end": Column(int, Check.in_range(1860, 2200)),
        "kommun_kod": KOMMUN,
    },
    unique=["group_id", "kommun_kod"],
    checks=Check(lambda df: df["period_start"] <= df["period_end"], error="period in order"),
    strict=True,
    name="grupper",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "befolkning": BEFOLKNING,
    "rutor": RUTOR,
    "service": SERVICE,
    "stod": STOD,
    "nearest": NEAREST,
    "coverage": COVERAGE,
    "closure": CLOSURE,
    "ortstyp": ORTSTYP,
    "kommuntyp": KOMMUNTYP,
    "grupper": GRUPPER,
}

#: Road lines from OpenStreetMap (:func:`lansanalys.sources.osm.read_osm_roads`), before the graph is
#: built; the GeoDataFrame also carries a LineString ``geometry`` in EPSG:3006. Not a processed
#: table, so not in :data:`SCHEMAS`.
OSM_ROADS = DataFrameSchema(
    {
        "osm_id": Column("int64", unique=True),
        "highway": Column(
            str,
            Check.isin(
                ["motorway", "trunk", "primary", "secondary", "tertiary"]
                + ["unclassified", "residential", "living_street", "service", "track"]
                + [f"{c}_link" for c in ("motorway", "trunk", "primary", "secondary", "tertiary")]
            ),
        ),
        "maxspeed_kmh": Column(float, Check.in_range(5, 130), nullable=True),
        "oneway": Column(bool),
    },
    strict=False,
    name="osm_roads",
)
