"""The data-quality report: findings per rule and commune, charts, and maps of where they are.

One self-contained HTML file (charts and maps inline as SVG), readable offline and printable,
in Vietnamese with English alongside.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, never a screen

import matplotlib.pyplot as plt
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

import geopandas as gpd

from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.messages import fix_label
from landreg.domain.rules import RULES
from landreg.services.export import findings_table
from landreg.store.unit_of_work import UnitOfWork

COLOURS = {"geometry": "#c0392b", "attributes": "#d68910", "sources": "#2471a3"}


def build_report(uow: UnitOfWork, path: Path) -> Path:
    """Write the report for the open findings to ``path``."""
    findings = findings_table(uow, status="open")
    communes = uow.reconcile.communes()
    parcels = uow.reconcile.parcels()
    names = dict(zip(communes["code"], communes["name"], strict=True))
    findings["group"] = findings["rule"].map(lambda code: RULES[code].group)
    findings["fix_vi"] = findings["suggested_fix"].map(lambda fix: fix_label(fix)[0])
    findings["fix_en"] = findings["suggested_fix"].map(lambda fix: fix_label(fix)[1])
    environment = Environment(
        loader=PackageLoader("landreg", "templates"), autoescape=select_autoescape()
    )
    html = environment.get_template("quality_report.html").render(
        generated=datetime.now(LOCAL_TIME).strftime("%d/%m/%Y %H:%M"),  # Vietnam's time
        total=len(findings),
        parcels=len(parcels),
        by_rule=_by_rule(findings),
        by_commune=_by_commune(findings, names),
        chart=_chart(findings),
        overview=_overview_map(findings, communes, uow),
        commune_maps=_commune_maps(findings, parcels, names, uow),
        examples=findings.sort_values(["severity", "rule"]).head(300).to_dict("records"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _by_rule(findings: pd.DataFrame) -> list[dict[str, object]]:
    counts = findings["rule"].value_counts()
    return [
        {
            "code": code,
            "count": int(counts.get(code, 0)),
            "severity": str(rule.severity),
            "title_vi": rule.title_vi,
            "title_en": rule.title_en,
            "group": rule.group,
        }
        for code, rule in RULES.items()
        if counts.get(code, 0)
    ]


def _by_commune(findings: pd.DataFrame, names: dict[str, str]) -> list[dict[str, object]]:
    table = findings.pivot_table(
        index="commune", columns="group", values="id", aggfunc="count", fill_value=0
    )
    return [
        {
            "code": code,
            "name": names.get(code, code),
            **{group: int(table.loc[code].get(group, 0)) for group in COLOURS},
            "total": int(table.loc[code].sum()),
        }
        for code in table.index
    ]


def _svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _chart(findings: pd.DataFrame) -> str:
    counts = findings.groupby(["rule", "group"]).size().reset_index(name="n").sort_values("n")
    figure, axis = plt.subplots(figsize=(7, 0.32 * max(len(counts), 3) + 0.8))
    axis.barh(counts["rule"], counts["n"], color=[COLOURS[g] for g in counts["group"]])
    axis.set_xlabel("số vấn đề / findings")
    axis.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _overview_map(findings: pd.DataFrame, communes: pd.DataFrame, uow: UnitOfWork) -> str:
    srid = uow.database.cadastral_srid
    figure, axis = plt.subplots(figsize=(7, 7))
    outlines = gpd.GeoSeries(communes["geometry"].to_numpy(), crs=srid).dropna()
    outlines.boundary.plot(ax=axis, color="#7f8c8d", linewidth=0.6)
    _points(findings).plot(ax=axis, markersize=9, color=_point_colours(findings), alpha=0.85)
    axis.set_axis_off()
    return _svg(figure)


def _points(findings: pd.DataFrame) -> gpd.GeoSeries:
    return findings.geometry.representative_point()


def _point_colours(findings: pd.DataFrame) -> list[str]:
    return [COLOURS[group] for group in findings["group"]]


def _commune_maps(
    findings: pd.DataFrame, parcels: pd.DataFrame, names: dict[str, str], uow: UnitOfWork
) -> list[dict[str, str]]:
    srid = uow.database.cadastral_srid
    located = findings[findings.geometry.notna() & ~findings.geometry.is_empty]
    maps = []
    for code, group in located.groupby("commune", sort=True):
        shapes = gpd.GeoSeries(
            parcels.loc[parcels["commune_code"] == code, "geometry"].to_numpy(), crs=srid
        )
        figure, axis = plt.subplots(figsize=(5, 5))
        shapes.boundary.plot(ax=axis, color="#b3b6b7", linewidth=0.3)
        group.plot(
            ax=axis,
            color=_point_colours(group),
            alpha=0.8,
            markersize=14,
            edgecolor="black",
            linewidth=0.4,
        )
        axis.set_axis_off()
        maps.append({"code": code, "name": names.get(code, code), "svg": _svg(figure)})
    return maps
