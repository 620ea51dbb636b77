"""Every published run of an output directory: ``reports/index.html`` and ``churn-report history``.

A run directory is ``<as_of>_<name>/`` with metrics.json and manifest.json; hidden and ``_``
directories (staging, failed runs) are not runs. The index is rewritten after each publish.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnreport.report.charts import Chart

COLUMNS = ("run_id", "name", "as_of", "period", "language", "customers", "churned", "churn_rate",
           "revenue_lost", "nrr", "alerts", "status")  # fmt: skip


def run_rows(output_dir: Path) -> list[dict]:
    """Headline figures of every published run, oldest report date first.

    Returns
    -------
    list of dict
        One per run, keys :data:`COLUMNS` (missing figures are None).
    """
    rows = []
    if not output_dir.is_dir():
        return rows
    for d in sorted(output_dir.iterdir()):
        if not d.is_dir() or d.name.startswith((".", "_")) or not (d / "metrics.json").is_file():
            continue
        try:
            m = json.loads((d / "metrics.json").read_text(encoding="utf-8"))
            manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        ind = m.get("indicators") or m  # schema 1 (before 2.0) kept chapter 1 at the top
        o = ind.get("overall") or {}
        last = (ind.get("periods") or [{}])[-1]
        as_of = m.get("as_of", "")
        rows.append(
            {
                "run_id": d.name,
                "name": d.name[len(as_of) + 1 :] if d.name.startswith(as_of) else d.name,
                "as_of": as_of,
                "period": o.get("period"),
                "language": m.get("language"),
                "customers": o.get("customers"),
                "churned": o.get("churned"),
                "churn_rate": o.get("churn_rate"),
                "revenue_lost": (ind.get("value") or {}).get("revenue_lost"),
                "nrr": last.get("nrr"),
                "alerts": len(ind.get("alerts") or []),
                "status": manifest.get("status"),
            }
        )
    return sorted(rows, key=lambda r: (r["name"], r["as_of"]))


def _fmt(key: str, value) -> str:
    if value is None:
        return "–"
    if key in ("churn_rate", "nrr"):
        return f"{value:.2%}"
    if key in ("customers", "churned", "alerts"):
        return f"{int(value):,}"
    if key == "revenue_lost":
        return f"{value:,.0f}"
    return str(value)


def format_rows(rows: list[dict]) -> list[list[str]]:
    """The rows as printed (index table and ``history`` command)."""
    return [[_fmt(k, r[k]) for k in COLUMNS] for r in rows]


def trend_chart(rows: list[dict]) -> Chart | None:
    """Churn rate of the report period across runs, one line per config name."""
    points = [r for r in rows if r["churn_rate"] is not None]
    if len(points) < 2:
        return None
    # imported here: the run command reads this module at its start, and matplotlib and
    # seaborn (1.4 s) would delay it; a chart is drawn only from the second run on
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker

    from churnreport.report.charts import Chart, _finish

    fig, ax = plt.subplots(figsize=(7, 2.4))
    for name in sorted({r["name"] for r in points}):
        mine = [r for r in points if r["name"] == name]
        ax.plot([r["as_of"] for r in mine], [r["churn_rate"] for r in mine], marker="o", label=name)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("churn rate")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.legend(fontsize="small", frameon=False)
    _finish(fig)
    return Chart(fig, f"Churn rate of the report period in {len(points)} runs.")


def write_index(output_dir: Path) -> Path:
    """Write ``<output_dir>/index.html`` listing every run (self-contained, escaped)."""
    rows = run_rows(output_dir)
    head = (
        "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in COLUMNS[1:]) + "<th>files</th>"
    )
    body = []
    for r, cells in zip(rows, format_rows(rows), strict=True):
        rid = escape(r["run_id"], quote=True)
        links = f'<a href="{rid}/report.html">HTML</a>'
        if (output_dir / r["run_id"] / "report.pdf").exists():
            links += f' · <a href="{rid}/report.pdf">PDF</a>'
        body.append(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells[1:]) + f"<td>{links}</td></tr>"
        )
    chart = trend_chart(rows)
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Churn reports</title>'
        "<style>body{font-family:'DejaVu Sans',sans-serif;margin:1.5rem;color:#1f2933}"
        "table{border-collapse:collapse;font-size:.85rem}th,td{padding:.3rem .5rem;"
        "border-bottom:1px solid #d9e2ec;text-align:left}th{border-bottom:2px solid #1f4e79}"
        "img{max-width:100%}</style></head><body><h1>Churn reports</h1>"
        + (chart._repr_html_() if chart else "")
        + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</body></html>"
    )
    path = output_dir / "index.html"
    tmp = output_dir / ".index.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
