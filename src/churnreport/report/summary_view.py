"""The executive summary: headline KPIs, findings and actions, all filled from metrics.json.

The summary notebook runs after the chapters and reads the metrics they recorded, so every
figure here is the figure of its chapter. Sentences are templates from the catalogue filled with
numbers; the choice of what to say follows fixed rules (largest cost, biggest stated cause,
strongest significant driver, riskiest segment, alerts, the early-warning list).
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd
from IPython.display import HTML

from churnreport.periods import PERIODS_PER_YEAR
from churnreport.report.causes_view import driver_sentence
from churnreport.report.text import Text

#: Stated-cause categories and driver names -> the action they call for (DOMAIN.md section 6).
DRIVER_CAUSE = {
    "complaint_90d": "service",
    "slow_response_90d": "service",
    "low_satisfaction_90d": "service",
    "manager_left_90d": "employee",
    "new_customer": "onboarding",
}
ACTIONABLE = ("service", "price", "product", "employee", "brand", "competitor", "involuntary")
MIN_SEGMENT_CUSTOMERS = 100
MAX_FINDINGS = 5


def _num(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def kpis(m: dict) -> list[dict]:
    """Headline KPIs of the report period with their changes.

    Parameters
    ----------
    m : dict
        metrics.json content (or the chapters' fragments merged).

    Returns
    -------
    list of dict
        name, value, and per comparison (``previous``, ``year_ago``): the period label, the
        change (points for rates, relative for amounts) and whether it was tested significant
        (None when untested).
    """
    periods = m.get("periods") or []
    overall = m["overall"]
    value = m.get("value") or {}
    last = periods[-1] if periods else {}
    others = {}
    if len(periods) > 1:
        others["previous"] = periods[-2]
    lag = PERIODS_PER_YEAR[m.get("period", "month")]
    if len(periods) > lag:
        others["year_ago"] = periods[-1 - lag]

    def changes(kind: str) -> dict:
        out = {}
        for which, row in others.items():
            if kind == "rate":
                ch = _num(last.get(f"change_vs_{which}"))
                sig = bool(last.get(f"significant_vs_{which}")) if ch is not None else None
            elif kind == "retention":
                ch = _num(last.get(f"change_vs_{which}"))
                ch, sig = (
                    (None, None) if ch is None else (-ch, bool(last.get(f"significant_vs_{which}")))
                )
            elif kind == "points":
                a, b = _num(last.get("nrr")), _num(row.get("nrr"))
                ch, sig = (None if a is None or b is None else a - b), None
            else:
                a, b = _num(last.get(kind)), _num(row.get(kind))
                ch = None if a is None or not b else a / b - 1
                sig = None
            if ch is not None:
                out[which] = {"period": row["period"], "change": ch, "significant": sig}
        return out

    rows = []
    if _num(overall["churn_rate"]) is not None:  # none without customers at the period start
        rows += [
            {"name": "churn_rate", "value": overall["churn_rate"], "changes": changes("rate")},
            {
                "name": "retention_rate",
                "value": overall["retention_rate"],
                "changes": changes("retention"),
            },
        ]
    rows.append({"name": "churned", "value": overall["churned"], "changes": changes("churned")})
    if _num(value.get("revenue_lost")) is not None:
        rows.append(
            {
                "name": "revenue_lost",
                "value": value["revenue_lost"],
                "changes": changes("churned_revenue"),
            }
        )
        rows.append({"name": "profit_lost", "value": value["profit_lost"], "changes": {}})
    if _num(last.get("nrr")) is not None and m.get("definition") != "snapshot":
        rows.append({"name": "nrr", "value": last["nrr"], "changes": changes("points")})
    if _num(value.get("clv_arpa_method")) is not None:
        rows.append({"name": "clv", "value": value["clv_arpa_method"], "changes": {}})
    return rows


def format_kpi(name: str, value: float, text: Text) -> str:
    """A KPI value as printed."""
    if name in ("churn_rate", "retention_rate", "nrr"):
        return text.pct(value)
    if name == "churned":
        return text.int(value)
    return text.money(value, unit=True)


def _change_text(name: str, change: dict, text: Text) -> tuple[str, str]:
    ch = change["change"]
    # no arrow for a change that prints as zero
    arrow = "•" if abs(ch) < 0.0005 else ("▲" if ch > 0 else "▼")
    amount = text.points(ch) if name in ("churn_rate", "retention_rate", "nrr") else text.pct(ch)
    line = text("kpi.vs", change=f"{arrow} {amount}", period=text.period(change["period"]))
    if change["significant"] is None:
        return line, ""
    good = (ch < 0) if name == "churn_rate" else (ch > 0)
    cls = ("better" if good else "worse") if change["significant"] else ""
    word = text("kpi.sig") if change["significant"] else text("kpi.ns")
    return f"{line} ({word})", cls


def kpi_html(m: dict, text: Text) -> HTML:
    """The KPI cards; arrows are coloured only for changes tested significant."""
    cards = []
    for k in kpis(m):
        subs = [_change_text(k["name"], c, text) for c in k["changes"].values()]
        o = m["overall"]
        if k["name"] == "churn_rate" and _num(o["ci_low"]) is not None:
            subs.insert(
                0, (text("kpi.ci", low=text.pct(o["ci_low"]), high=text.pct(o["ci_high"])), "")
            )
        if k["name"] == "profit_lost":
            subs.append((text("summary.margin", margin=text.pct(m["value"]["margin"], 0)), ""))
        sub = "".join(f'<div class="kpi-sub {c}">{escape(t)}</div>' for t, c in subs)
        cards.append(
            f'<div class="kpi" data-kpi="{k["name"]}"><div class="kpi-label">'
            f'{escape(text("summary.kpi." + k["name"]))}</div><div class="kpi-value">'
            f"{escape(format_kpi(k['name'], k['value'], text))}</div>{sub}</div>"
        )
    return HTML(f'<div class="kpis summary-kpis">{"".join(cards)}</div>')


def _top_cause(m: dict) -> dict | None:
    cats = [
        c
        for c in m.get("reason_categories") or []
        if c["category"] not in ("not_stated", "unmapped")
    ]
    return max(cats, key=lambda c: c["churned"]) if cats else None


def _top_driver(m: dict) -> dict | None:
    drivers = [
        d for d in m.get("drivers") or [] if d.get("significant") and d.get("direction") == "raises"
    ]
    return max(drivers, key=lambda d: d.get("strength") or 0.0) if drivers else None


def _worst_segment(m: dict) -> tuple[str, dict] | None:
    best = None
    for dim, seg in (m.get("segments") or {}).items():
        if (seg.get("p_value") is None) or seg["p_value"] >= 0.05:
            continue
        for level in seg.get("levels", []):
            if level.get("small") or level["customers"] < MIN_SEGMENT_CUSTOMERS:
                continue
            if best is None or level["lift"] > best[1]["lift"]:
                best = (dim, level)
    return best


def findings(m: dict, text: Text, labels: dict[str, str]) -> list[str]:
    """Three to five findings written from the numbers, most urgent first.

    Parameters
    ----------
    m : dict
        The metrics.
    text : Text
    labels : dict
        Cause category -> display label.
    """
    out = []
    period = text.period(m["overall"]["period"])
    for a in m.get("alerts") or []:
        fmt = text.points if a["rule"] == "significant_increase" else text.pct
        out.append(
            text("summary.alert")
            + text(
                f"alert.{a['metric']}.{a['rule']}",
                value=fmt(a["value"]),
                period=period,
                threshold="" if a["threshold"] is None else text.pct(a["threshold"]),
            )
        )
    out.append(_loss_finding(m, period, text))
    cause = _top_cause(m)
    if cause is not None:
        out.append(
            text(
                "summary.cause",
                category=labels.get(cause["category"], cause["category"]),
                share=text.pct(cause["share"]),
                controllable=text.pct(m.get("controllable_share")),
            )
        )
    driver = _top_driver(m)
    if driver is not None:
        out.append(driver_sentence(pd.Series(driver), text))
    worst = _worst_segment(m)
    if worst is not None:
        dim, level = worst
        out.append(
            text(
                "summary.segment",
                dimension=text.get(f"seg.{dim}", text.get(f"drv.{dim}", dim)),
                level=text.get(f"drv.level.{level['segment']}", str(level["segment"])),
                rate=text.pct(level["churn_rate"]),
                lift=text.num(level["lift"], 2),
                share=text.pct(level["share_of_churn"]),
            )
        )
    risk = m.get("risk") or {}
    if risk.get("available") and len(out) < MAX_FINDINGS:
        out.append(
            text(
                "summary.risk",
                expected=text.num(risk.get("expected_leavers"), 0),
                n=text.int(risk["scored_customers"]),
                horizon=text.date(risk["horizon_end"]),
            )
        )
    return out[:MAX_FINDINGS]


def _loss_finding(m: dict, period: str, text: Text) -> str:
    """What churn cost in the report period; without customers at its start or without a
    customer lost, a sentence saying so."""
    o, v = m["overall"], m.get("value") or {}
    if not o["customers"]:
        return text("indicators.no_start", period=period)
    if not o["churned"]:
        return text("summary.no_churn", customers=text.int(o["customers"]), period=period)
    if _num(v.get("revenue_lost")) is None:
        return text(
            "summary.lost",
            lost=text.int(o["churned"]),
            customers=text.int(o["customers"]),
            rate=text.pct(o["churn_rate"]),
            period=period,
        )
    cost = {
        "lost": text.int(o["churned"]),
        "period": period,
        "revenue": text.money(v["revenue_lost"], unit=True),
        "profit": text.money(v["profit_lost"], unit=True),
    }
    saved = _num((v.get("scenarios") or [{}])[0].get("revenue"))
    if saved is None:  # no scenario (no churn basis, or churn below one point a year)
        return text("summary.cost_only", **cost)
    return text("summary.cost", **cost, saved=text.money(saved, unit=True))


def actions(m: dict, text: Text) -> list[str]:
    """Recommended actions tied to the causes and drivers found (DOMAIN.md section 6)."""
    out = [text("summary.action.immediate")]
    causes: list[str] = []
    driver = _top_driver(m)
    if driver is not None and driver["driver"] in DRIVER_CAUSE:
        causes.append(DRIVER_CAUSE[driver["driver"]])
    cats = sorted(m.get("reason_categories") or [], key=lambda c: -c["churned"])
    causes += [c["category"] for c in cats if c["category"] in ACTIONABLE]
    seen: list[str] = []
    for c in causes:
        if c not in seen:
            seen.append(c)
    for c in seen[:3]:
        out.append(text(f"summary.action.{c}"))
    risk = m.get("risk") or {}
    if risk.get("available"):
        key = int(risk.get("priority_customers") or 0)
        if key:
            out.append(text("summary.action.call_list", n=text.int(key)))
    return out


def summary_metrics(m: dict, text: Text, labels: dict[str, str]) -> dict:
    """The ``summary`` entry of metrics.json: KPIs, findings and actions as printed."""
    return {
        "kpis": [{**k, "display": format_kpi(k["name"], k["value"], text)} for k in kpis(m)],
        "findings": findings(m, text, labels),
        "actions": actions(m, text),
    }


def findings_html(summary: dict, text: Text) -> HTML:
    """Findings as a numbered list."""
    items = "".join(f"<li>{escape(f)}</li>" for f in summary["findings"])
    return HTML(f'<h3>{escape(text("summary.findings"))}</h3><ol class="findings">{items}</ol>')


def actions_html(summary: dict, text: Text) -> HTML:
    """Recommended actions as a list."""
    items = "".join(f"<li>{escape(a)}</li>" for a in summary["actions"])
    return HTML(f'<h3>{escape(text("summary.actions"))}</h3><ul class="actions">{items}</ul>')
