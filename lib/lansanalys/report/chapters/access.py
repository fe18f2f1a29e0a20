"""Service och tillgänglighet: distance maps, access tables, travel time, closure scenario and
ranking, the access matrix and the cash rule.
"""

from __future__ import annotations

import html
import json

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis import access, network
from lansanalys.analysis.access import CLOSURE_KM, HEADLINE_KM, SECOND_KM, second_col, share_col
from lansanalys.catalogue import covered_lan
from lansanalys.report import figures, maps
from lansanalys.report.blocks import MISSING, html_table, with_table
from lansanalys.report.text import (
    beyond_note,
    by_road,
    distance_phrase,
    limit_text,
    percent_or_missing,
    riket_label,
)
from lansanalys.services import CASH_RULE_KM, CASH_RULE_LIMITS, SERVICE_NOUNS, SERVICE_TYPES

#: How far around the closed point (km) the closure scenario recomputes distances by road.
SCENARIO_RADIUS_KM = 40.0


def cash_limit(service_type: str) -> str:
    """The cash rule's limit for ``service_type`` in Swedish ("0,3 %")."""
    return f"{limit_text(CASH_RULE_LIMITS[service_type])} %"


class AccessChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    def fig_distance_map(self, service_type: str = "dagligvaror") -> go.Figure | Markdown:
        """Map of populated cells coloured by distance (road if built) to the nearest point."""
        if service_type not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {service_type!r}; one of {list(SERVICE_TYPES)}")
        if not self.covered(service_type):
            return self._missing_block(service_type)
        cells = self.cells
        pts = self.service[self.service["service_type"] == service_type]
        share10 = self.access_lan.set_index(["lan_kod", "service_type"]).at[
            (self.lan_kod, service_type), share_col(HEADLINE_KM)
        ]
        label = SERVICE_NOUNS[service_type]
        title = (
            f"{fmt.percent(share10)} av invånarna i {self.lan_namn} bor mer än {limit_text(HEADLINE_KM)} km "
            f"{distance_phrase(self.meta)} från närmaste {label}"
        )
        fig = maps.distance_grid_map(
            cells,
            service_type,
            self.kommun_geo,
            pts,
            title,
            self.access_source(),
        )
        kom = self.access_kommun[self.access_kommun["service_type"] == service_type].merge(
            self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod"
        )
        maps.ranked_side_bars(
            fig,
            list(kom["kommun"]),
            kom[share_col(HEADLINE_KM)],
            fmt.percent,
            f"Andel > {limit_text(HEADLINE_KM)} km, %",
            colorscale=None,  # the map's colours are distance classes
            reference=(float(share10), self.lan_namn),
        )
        return with_table(
            fig,
            cells[["cell_id", "kommun_kod", "x", "y", "population", service_type]].rename(
                columns={service_type: "avstand_km"}
            ),
        )

    def access_table(self) -> HTML | Markdown:
        """Share of each kommun's population beyond each threshold: one compact table per service
        type (kommuner and the whole län), so each fits the page.

        Unreachable people count as beyond every threshold and are shown in their own column;
        any threshold of ``thresholds_km`` works (computed from the cells if not precomputed).
        Types without data get one sentence after the tables.
        """
        acc = self.beyond("kommun", self.thresholds_km).merge(
            self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod"
        )
        lan_row = self.beyond("lan", self.thresholds_km).assign(kommun=f"Hela {self.lan_namn}")
        acc = pd.concat([acc.sort_values("kommun"), lan_row], ignore_index=True)
        acc = acc[acc["service_type"].map(self.covered)]
        if acc.empty:
            return self._missing_block()
        limits = ", ".join(limit_text(t) for t in self.thresholds_km)
        source = " ".join(filter(None, [self.access_source(), self.missing()]))
        blocks = []
        for st, label in SERVICE_TYPES.items():
            part = acc[acc["service_type"] == st]
            if part.empty:
                continue
            df = pd.DataFrame([self._access_row(r) for _, r in part.iterrows()]).fillna(MISSING)
            caption = (
                f"{label}: andel av befolkningen som bor mer än {limits} km "
                f"{distance_phrase(self.meta)} från närmaste {SERVICE_NOUNS[st]}, per kommun; "
                "ej nåbara via väg räknas in"
            )
            blocks.append(html_table(df, caption, source, numeric=list(df.columns[1:])).data)
        gaps = self.missing()
        if gaps:
            blocks.append(f'<p class="la-missing"><em>{html.escape(gaps)}</em></p>')
        return HTML("".join(blocks))

    def _access_row(self, r: pd.Series) -> dict[str, str]:
        """One kommun's (or the län's) row of an access table."""
        row = {"Kommun": r["kommun"], "Invånare": fmt.number(r["population"])}
        for t in self.thresholds_km:
            row[f"> {limit_text(t)} km"] = fmt.percent(r[share_col(t)])
        if by_road(self.meta):
            row["Ej nåbar via väg"] = fmt.number(r["population_unreachable"])
        row[f"70+ > {limit_text(HEADLINE_KM)} km"] = percent_or_missing(
            r[share_col(HEADLINE_KM, "pop_70plus")]
        )
        row["Medelavstånd för nåbara"] = fmt.number(r["mean_km"], 1) + " km"
        if by_road(self.meta):
            row["Medelrestid för nåbara"] = fmt.number(r["mean_min"], 1) + " min"
        return row

    def fig_travel_time(
        self, service_type: str = "dagligvaror", over_min: float = 10.0
    ) -> go.Figure | Markdown:
        """Share of each kommun's population per car-time class to the nearest point."""
        if service_type not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {service_type!r}; one of {list(SERVICE_TYPES)}")
        if not by_road(self.meta):
            raise ValueError("travel times need a road network (data/raw/vagnat/)")
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = self.access_classes
        c = c[
            (c["metric"] == "bil")
            & (c["service_type"] == service_type)
            & (c["pop_col"] == "population")
        ]
        names = {
            "00": riket_label(self.meta, service_type),
            self.lan_kod: self.lan_namn,
            **self.kommuner.set_index("kommun_kod")["kommun"].to_dict(),
        }
        c = c.assign(area=c["code"].map(names))
        # "> over_min" from the cells' car minutes, whatever classes the build drew (a class
        # table built with 5,15,30 has no 10-minute edge); unreachable counts as beyond.
        share = f"population_share_over_{over_min:g}min"
        kom = self.beyond("kommun", (over_min,), unit="min")
        kom = kom[kom["service_type"] == service_type].set_index("kommun_kod")[share]
        lan = self.beyond("lan", (over_min,), unit="min")
        lan_far = float(lan.loc[lan["service_type"] == service_type, share].iloc[0])
        # Kommuner from the longest car times down, then the län and riket for reference.
        kom = kom.sort_values(ascending=False, kind="stable")
        order = [*kom.index, self.lan_kod, "00"]
        c = (
            c.set_index("code")
            .loc[order]
            .reset_index()
            .sort_values(
                ["code", "order"],
                key=lambda s: s.map({k: i for i, k in enumerate(order)}) if s.name == "code" else s,
                kind="stable",
            )
        )
        title = (
            f"{fmt.percent(lan_far)} av invånarna i {self.lan_namn} har mer än "
            f"{limit_text(over_min)} minuter med bil till närmaste {SERVICE_NOUNS[service_type]}"
        )
        fig = figures.class_bars(
            c,
            "area",
            "klass",
            "share",
            title,
            self.access_source(),
        )
        table = c[["code", "area", "klass", "population", "share"]].rename(
            columns={"code": "kod", "area": "omrade", "share": "andel_procent"}
        )
        return with_table(fig, table)

    def scenario_closure(
        self, service_type: str = "dagligvaror", radius_km: float = SCENARIO_RADIUS_KM
    ) -> HTML | Markdown:
        """What if the most critical point of the län closed? Recomputed along the roads.

        Takes the point whose closure pushes the most people beyond :data:`CLOSURE_KM` (the
        first row of the closure ranking), removes it with
        :func:`lansanalys.analysis.access.what_if` and recomputes the
        nearest point for every cell within ``radius_km`` of it, by road when a network is built.
        Only cells of län with data of the type take part; when the closure leaves those cells
        without any point of the type, a sentence says so instead of a table.
        """
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = self.closure(service_type)
        if c.empty:
            return HTML(f"<p>Länet har ingen {html.escape(SERVICE_NOUNS[service_type])}.</p>")
        top = access.most_critical_first(c).iloc[0]
        pts = catalogue.read(self.p, "service", filters=[("service_type", "==", service_type)])
        here = pts.set_index("point_id").loc[top["point_id"]]
        cells = catalogue.read(self.p, "rutor")
        r = radius_km * 1000
        near = cells[(cells["x"] - here["x"]) ** 2 + (cells["y"] - here["y"]) ** 2 <= r * r]
        # Cells of a län without data have no distance today: they cannot be compared.
        near = near[near["lan_kod"].isin(covered_lan(self.meta, service_type))]
        net = None
        if by_road(self.meta):
            net = network.load_network(
                catalogue.read(self.p, "vagnat_noder"), catalogue.read(self.p, "vagnat_lankar")
            )
        # Today's distances are the build's; only the world without the store is computed here.
        before = catalogue.read(
            self.p,
            "nearest",
            filters=[
                ("service_type", "==", service_type),
                ("cell_id", "in", near["cell_id"].tolist()),
            ],
        )
        after = access.what_if(
            near, pts, remove=[top["point_id"]], service_types=[service_type], net=net
        )
        col = "road_m" if net is not None else "dist_m"
        pop = near.set_index("cell_id")["population"]

        def summary(t: pd.DataFrame) -> dict[str, float]:
            t = t.set_index("cell_id")
            d = t[col].reindex(pop.index) / 1000
            ok = d.notna()
            return {
                "over10": float(pop[ok & (d > CLOSURE_KM)].sum() + pop[~ok].sum()),
                "mean": float((d[ok] * pop[ok]).sum() / pop[ok].sum()),
                "min": float((t["road_min"].reindex(pop.index)[ok] * pop[ok]).sum() / pop[ok].sum())
                if net is not None
                else float("nan"),
            }

        kommun = geo.kommun_name(str(top["kommun_kod"]))
        noun = SERVICE_NOUNS[service_type]  # "ha någon dagligvarubutik att nå"
        if not after.set_index("cell_id")[col].reindex(pop.index).notna().any():
            left = len(pts) - 1
            why = (
                f"det finns ingen annan punkt av slaget {SERVICE_TYPES[service_type].lower()} i "
                "servicefilerna"
                if left == 0
                else f"ingen av de {fmt.number(left)} andra punkterna av slaget går att nå "
                f"{distance_phrase(self.meta)}"
            )
            return Markdown(
                f"*Om {html.escape(str(top['name']))} i {html.escape(kommun)} stängde skulle "
                f"ingen av de {fmt.number(pop.sum())} invånarna inom {fmt.number(radius_km)} km "
                f"ha någon {noun} att nå: {why}. Ett avstånd kan då inte anges; alla räknas "
                "som längre bort än varje avståndsgräns.*"
            )
        b, a = summary(before), summary(after)
        phrase = distance_phrase(self.meta)
        rows = [
            {
                "": f"Invånare > {limit_text(CLOSURE_KM)} km {phrase}",
                "I dag": fmt.number(b["over10"]),
                "Om den stänger": fmt.number(a["over10"]),
                "Skillnad": fmt.signed(a["over10"] - b["over10"], 0),
            },
            {
                "": "Medelavstånd för nåbara, km",
                "I dag": fmt.number(b["mean"], 1),
                "Om den stänger": fmt.number(a["mean"], 1),
                "Skillnad": fmt.signed(a["mean"] - b["mean"], 1),
            },
        ]
        if net is not None:
            rows.append(
                {
                    "": "Medelrestid med bil för nåbara, minuter",
                    "I dag": fmt.number(b["min"], 1),
                    "Om den stänger": fmt.number(a["min"], 1),
                    "Skillnad": fmt.signed(a["min"] - b["min"], 1),
                }
            )
        cap = (
            f"Scenario: om {top['name']} i {kommun} stängde. Alla {fmt.number(pop.sum())} "
            f"invånare inom {fmt.number(radius_km)} km fågelvägen från butiken, närmaste "
            f"{SERVICE_NOUNS[service_type]} beräknad på nytt {phrase} (även över länsgränsen)"
        )
        df = pd.DataFrame(rows)
        return html_table(
            df,
            cap,
            self.access_source(),
            numeric=["I dag", "Om den stänger", "Skillnad"],
        )

    def fig_access_matrix(self, threshold_km: float = 10.0) -> go.Figure | Markdown:
        """Share beyond ``threshold_km`` per kommun (rows) and service type (columns).

        Any positive threshold works (computed from the cells if the build did not precompute
        it); unreachable people count as beyond and their number is in the data download.
        """
        (threshold_km,) = access.check_thresholds((threshold_km,), "km")
        acc = self.beyond("kommun", (threshold_km,)).merge(
            self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod"
        )
        acc = acc[acc["service_type"].map(self.covered)]  # types without data: no column
        if acc.empty:
            return self._missing_block()
        col = f"population_share_over_{threshold_km:g}km"
        matrix = acc.pivot(index="kommun", columns="service_type", values=col)
        matrix = matrix[[s for s in SERVICE_TYPES if s in matrix.columns]]
        worst = acc.sort_values(col).iloc[-1]
        title = (
            f"Längst till service: i {worst['kommun']} bor {fmt.percent(worst[col])} mer än "
            f"{limit_text(threshold_km)} km från närmaste "
            f"{SERVICE_NOUNS[worst['service_type']]}"
        )
        matrix.columns = [SERVICE_TYPES[c] for c in matrix.columns]
        km = limit_text(threshold_km)
        src = " ".join(filter(None, [self.access_source(), self.missing()]))
        fig = figures.matrix_heatmap(matrix, title, src, f"> {km} km")
        table = acc[["kommun_kod", "kommun", "service_type", "population", col]].assign(
            ej_nabar_via_vag=acc["population_unreachable"]
        )
        return with_table(fig, table)

    # ---- service: vulnerability and the cash rule -----------------------------------------
    def closure_table(self, service_type: str = "dagligvaror", top: int = 10) -> HTML | Markdown:
        """The points whose closure would push the most people beyond :data:`CLOSURE_KM`."""
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = self.closure(service_type)
        c = access.most_critical_first(c).head(top)
        names = self.kommuner.set_index("kommun_kod")["kommun"]
        pushed = f"Får > {limit_text(CLOSURE_KM)} km om den stänger"
        df = pd.DataFrame(
            {
                "Servicepunkt": c["name"],
                "Slag": c["label"],
                "Kommun": c["kommun_kod"].map(names),
                pushed: [fmt.number(v) for v in c["pushed_beyond"]],
                "Har den som närmaste": [fmt.number(v) for v in c["served"]],
            }
        )
        cap = (
            f"Sårbara punkter: {SERVICE_NOUNS[service_type]} vars stängning skulle ge flest "
            f"invånare mer än {limit_text(CLOSURE_KM)} km till närmaste alternativ "
            f"({distance_phrase(self.meta)}, även över länsgränsen)"
        )
        return html_table(
            df,
            cap,
            self.source("rutor", "service"),
            numeric=[pushed, "Har den som närmaste"],
        )

    def _closure_points(self, service_type: str) -> pd.DataFrame:
        """The build's closure figures of the län's points with their place and kommun name."""
        pts = self.service[self.service["service_type"] == service_type][["point_id", "x", "y"]]
        names = self.kommuner.set_index("kommun_kod")["kommun"]
        return (
            self.closure(service_type)
            .merge(pts, on="point_id", how="inner")
            .assign(kommun=lambda d: d["kommun_kod"].map(names))
        )

    def fig_closure_map(self, service_type: str = "dagligvaror") -> go.Figure | Markdown:
        """Every point of the län coloured by the people its closure alone would push beyond
        :data:`CLOSURE_KM` (road), sized by the people it serves; each point's figures on hover.

        Precomputed for every point in the build (the second-nearest point of every cell), so
        any point can be looked at in the page, offline; all of them are in the download.
        """
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = self._closure_points(service_type)
        if c.empty:
            return HTML(f"<p>Länet har ingen {html.escape(SERVICE_NOUNS[service_type])}.</p>")
        km = f"{limit_text(CLOSURE_KM)} km"
        worst = access.most_critical_first(c).iloc[0]
        alone = int((c["pushed_beyond"] > 0).sum())
        title = (
            f"Stänger {worst['name']} får {fmt.number(worst['pushed_beyond'])} invånare mer än "
            f"{km} till närmaste {SERVICE_NOUNS[service_type]}; {fmt.number(alone)} av länets "
            f"{fmt.number(len(c))} punkter ({SERVICE_TYPES[service_type].lower()}) är de enda "
            f"inom {km} för någon"
        )
        fig = maps.closure_point_map(
            self.kommun_geo, c, title, self.access_source(), f"{km} {distance_phrase(self.meta)}"
        )
        return with_table(
            fig,
            c[["point_id", "name", "label", "kommun_kod", "kommun", "x", "y"]].assign(
                invanare_som_far_over_10_km=c["pushed_beyond"], har_den_som_narmaste=c["served"]
            ),
        )

    def closure_chooser(self, service_type: str = "dagligvaror") -> HTML | Markdown:
        """Any point of the län chosen in the page: what its closure alone would mean.

        A list of every point (by kommun and name) and one sentence per point, precomputed in
        the build (:meth:`closure`) and embedded in the page, so choosing works offline in the
        rendered report; it opens on the most critical point, which is also what print shows.
        """
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = self._closure_points(service_type)
        if c.empty:
            return HTML(f"<p>Länet har ingen {html.escape(SERVICE_NOUNS[service_type])}.</p>")
        c = c.sort_values(["kommun", "name"]).reset_index(drop=True)
        noun, km = SERVICE_NOUNS[service_type], f"{limit_text(CLOSURE_KM)} km"
        road = distance_phrase(self.meta)
        texts = [
            f"Om {r['name']} ({r['label']}, {r['kommun']}) stänger får "
            f"{fmt.number(r['pushed_beyond'])} invånare mer än {km} {road} till närmaste {noun}. "
            f"{fmt.number(r['served'])} invånare har den som närmaste {noun}."
            for r in c.to_dict("records")
        ]
        # Each point's sentence and place (the page script rings it on the map above).
        data = [[t, float(x), float(y)] for t, x, y in zip(texts, c["x"], c["y"], strict=True)]
        worst = int(access.most_critical_first(c).index[0])
        options = "".join(
            f'<option value="{i}"{" selected" if i == worst else ""}>'
            f"{html.escape(str(n))} ({html.escape(str(k))})</option>"
            for i, (n, k) in enumerate(zip(c["name"], c["kommun"], strict=True))
        )
        box = f"la-chooser-{html.escape(service_type)}"
        return HTML(
            f'<div class="la-chooser" data-trace="{html.escape(maps.CHOSEN)}">'
            f'<label for="{box}">Välj {html.escape(noun)} ({fmt.number(len(c))} i länet):</label> '
            f'<select id="{box}">{options}</select>'
            f'<p class="la-chooser-out" aria-live="polite">{html.escape(texts[worst])}</p>'
            f'<script type="application/json" class="la-chooser-data">{json_for_html(data)}'
            "</script></div>"
        )

    def second_nearest_table(self) -> HTML | Markdown:
        """How exposed people are to one closure: the share whose second-nearest point of each
        type is beyond each of :data:`SECOND_KM` by road, for the län and riket."""
        lan = self.access_lan[self.access_lan["lan_kod"] == self.lan_kod].set_index("service_type")
        rik = self.access_riket.set_index("service_type")
        return second_nearest_block(
            [(self.lan_namn, lan), (riket_label(self.meta, "dagligvaror"), rik)],
            self.covered,
            f"Näst närmaste service i {self.lan_namn}",
            " ".join(filter(None, [self.access_source(), self.missing()])),
            self.meta,
        )

    def cash_table(self) -> HTML | Markdown:
        """The cash-access rule: share more than 25 km from cash services, against the limit."""
        cash = catalogue.read(self.p, "cash_rule")
        codes = ["00", self.lan_kod, *self.kommuner["kommun_kod"]]
        cash = cash[cash["code"].isin(codes)]
        types = {"kontantuttag": "Kontantuttag", "dagskasseinsattning": "Dagskasseinsättning"}
        n_lan = {st: len(covered_lan(self.meta, st)) for st in types}
        if not any(self.covered(st) for st in types):
            return self._missing_block(*types)
        partial = any(0 < n < len(geo.lan_codes()) for n in n_lan.values())
        names = {
            "00": "Riket: de län som har uppgifter" if partial else "Riket",
            self.lan_kod: self.lan_namn,
            **self.kommuner.set_index("kommun_kod")["kommun"].to_dict(),
        }
        km = limit_text(CASH_RULE_KM)
        rows = []
        for code in codes:
            d = cash[cash["code"] == code].set_index("service_type")
            row = {"Område": names[code]}
            for st, label in types.items():
                has = self.covered(st) if code != "00" else n_lan[st] > 0
                over = f"{label} > {km} km (gräns {cash_limit(st)})"
                if not has or st not in d.index:
                    row[over] = MISSING
                    row[f"{label}, ej nåbar via väg"] = MISSING
                else:
                    # The law sets one limit for the whole country; areas are set against it.
                    ok = "inom" if d.at[st, "within_limit"] else "över"
                    row[over] = f"{fmt.percent(d.at[st, f'share_over_{CASH_RULE_KM:g}km'], 2)} {ok}"
                    row[f"{label}, ej nåbar via väg"] = fmt.number(d.at[st, "unreachable"])
            rows.append(row)
        df = pd.DataFrame(rows)
        return html_table(
            df,
            f"Kontantregeln (lagen om betaltjänster): högst {cash_limit('kontantuttag')} av "
            f"befolkningen får ha mer än {km} km till kontantuttag och "
            f"högst {cash_limit('dagskasseinsattning')} till dagskasseinsättning. Gränsen gäller "
            f"riket (lagens krav) och PTS prövar den nationellt; länet och kommunerna jämförs med "
            f"rikets gräns (”inom” eller ”över” i tabellen) för att visa var luckorna finns. Avstånd "
            f"{distance_phrase(self.meta)}; invånare utan vägförbindelse räknas som över {km} km."
            + (
                " Riket avser de län som har uppgifter: "
                + ", ".join(
                    f"{types[st].lower()} {n} av {len(geo.lan_codes())}" for st, n in n_lan.items()
                )
                + "."
                if partial
                else ""
            ),
            " ".join(
                filter(
                    None,
                    [
                        self.source("rutor", "service", "vagnat"),
                        beyond_note(self.meta),
                        self.missing(*types),
                    ],
                )
            ),
            numeric=[c for c in df.columns if c != "Område"],
        )


def json_for_html(value) -> str:
    """JSON to embed in a ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left
    that could close the element or open markup (a store named ``</script>`` stays text)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def second_nearest_block(
    areas: list[tuple[str, pd.DataFrame]],
    covered,
    caption: str,
    source: str,
    meta: dict,
) -> HTML | Markdown:
    """One row per service type: for the first area the share beyond :data:`HEADLINE_KM` from
    the nearest point and beyond each :data:`SECOND_KM` from the second-nearest; for the other
    areas the second-nearest beyond the first limit. ``areas`` are (name, access table indexed
    by service type) pairs; a type not ``covered`` or without the figures says "uppgift saknas".
    """
    if not by_road(meta) or second_col(SECOND_KM[0]) not in areas[0][1]:
        return Markdown("*Näst närmaste punkt: uppgift saknas (räknas bara längs ett vägnät).*")
    head, *others = areas
    rows = []
    for st, label in SERVICE_TYPES.items():
        row = {"Service": label}
        if covered(st) and st in head[1].index:
            t = head[1].loc[st]
            row[f"Närmaste > {limit_text(HEADLINE_KM)} km"] = fmt.percent(t[share_col(HEADLINE_KM)])
            for lim in SECOND_KM:
                row[f"Näst närmaste > {limit_text(lim)} km"] = fmt.percent(t[second_col(lim)])
            for name, table in others:
                if st in table.index and pd.notna(table.at[st, second_col(SECOND_KM[0])]):
                    row[f"Näst närmaste > {limit_text(SECOND_KM[0])} km, {name}"] = fmt.percent(
                        table.at[st, second_col(SECOND_KM[0])]
                    )
        rows.append(row)
    df = pd.DataFrame(rows).fillna(MISSING)
    if len(df.columns) == 1:
        return Markdown(f"*{MISSING}*")
    cap = (
        f"{caption}: andel av invånarna i {head[0]} vars närmaste och näst närmaste punkt av varje "
        f"slag ligger längre bort än gränsen {distance_phrase(meta)}; den näst närmaste är dit "
        "man får åka om den närmaste stänger (ingen näst närmaste att nå räknas in)"
    )
    return html_table(df, cap, source, numeric=list(df.columns[1:]))
