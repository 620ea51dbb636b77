"""A deterministic generator of a believable subscription company, with planted churn effects.

The company sells monthly subscriptions (basic / standard / premium) to final customers
(consumers) and intermediate customers (resellers). Each active customer-month has a churn
hazard ``BASE_HAZARD`` multiplied by the effects in :data:`EFFECTS`; the sample README lists
them. Everything is drawn from one seeded generator, so the same arguments give the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

BASE_HAZARD = 0.018
#: Hazard multipliers planted in the sample (documented in data/sample/README.md).
EFFECTS = {
    "new_customer_first_3_months": 2.0,
    "intermediate_customer": 0.5,
    "age_under_30": 1.5,
    "age_55_plus": 0.7,
    "complaint_in_last_3_months": 2.2,
    "slow_response_in_last_3_months": 1.6,
    "manager_left_in_last_3_months": 2.5,
    "price_rise_month_and_next": 1.8,
    "january": 1.3,
    "premium_plan": 0.8,
}
PRICE_RISE_MONTH = "2024-03"
PRICE_RISE_PLANS = ("basic", "standard")
PRICE_RISE = 0.10
SLOW_RESPONSE_HOURS = 24.0
INVOLUNTARY_SHARE = 0.12
START = pd.Timestamp("2022-01-01")

PLANS = {"basic": 99.0, "standard": 199.0, "premium": 499.0}
REGIONS = ["East", "North", "South", "West"]
CHANNELS = ["online", "store", "partner"]
TICKET_CATEGORIES = ["billing", "technical", "complaint", "account", "delivery"]

#: Stated reasons per taxonomy category, in Chinese and English (DOMAIN.md section 5).
REASONS = {
    "price": [
        ("价格太高", "Price too high"),
        ("涨价了", "Price increase"),
        ("竞争对手更便宜", "Competitor is cheaper"),
    ],
    "service": [
        ("投诉没有解决", "Complaint not resolved"),
        ("客服响应太慢", "Support too slow"),
        ("服务态度差", "Rude service"),
    ],
    "employee": [("熟悉的客户经理离职了", "My account manager left")],
    "product": [("产品质量不稳定", "Product quality unstable"), ("功能太少", "Missing features")],
    "competitor": [("转用竞争对手", "Switched to competitor")],
    "customer": [
        ("搬家了", "Moved away"),
        ("不再需要", "No longer needed"),
        ("预算削减", "Budget cut"),
    ],
    "other": [("说不清", "Don't know")],
}
INVOLUNTARY_REASON = ("付款失败", "Payment failed")


@dataclass(frozen=True)
class SampleTables:
    """The generated canonical tables."""

    customers: pd.DataFrame
    transactions: pd.DataFrame
    tickets: pd.DataFrame
    staff: pd.DataFrame


def generate_sample(
    n_customers: int = 20_000,
    months: int = 36,
    seed: int = 42,
    *,
    first_id: int = 1,
    first_ticket: int = 1,
) -> SampleTables:
    """Generate the sample company.

    Parameters
    ----------
    n_customers : int
        Customers acquired over the whole span.
    months : int
        Length of the history, starting January 2022.
    seed : int
        Random seed; the output is a pure function of the arguments.
    first_id, first_ticket : int
        Number of the first customer (C000001) and ticket (T0000001); a large sample is written
        in blocks of customers that continue the numbering (:func:`write_sample`).

    Returns
    -------
    SampleTables
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    month_starts = pd.date_range(START, periods=months + 1, freq="MS")
    # acquisition grows 2% a month; an opening base joins in the first month
    weights = 1.02 ** np.arange(months)
    weights[0] += 12
    start_month = rng.choice(months, size=n, p=weights / weights.sum())
    days_in = (month_starts[start_month + 1] - month_starts[start_month]).days.to_numpy()
    start_day = rng.integers(0, days_in)
    start_date = month_starts[start_month].to_numpy() + start_day.astype("timedelta64[D]")

    customer_type = np.where(rng.random(n) < 0.25, "intermediate", "final")
    age = np.clip(rng.normal(42, 13, n).round(), 18, 80).astype(int)
    gender = rng.choice(["female", "male"], n)
    region = rng.choice(REGIONS, n, p=[0.35, 0.25, 0.25, 0.15])
    channel = rng.choice(CHANNELS, n, p=[0.5, 0.3, 0.2])
    plan = rng.choice(list(PLANS), n, p=[0.5, 0.35, 0.15])
    base_price = np.array([PLANS[p] for p in plan]) * np.where(
        customer_type == "intermediate", 3, 1
    )
    monthly_revenue = (base_price * rng.uniform(0.9, 1.1, n)).round(2)

    n_managers = 40
    managers = np.array([f"AM{i:02d}" for i in range(1, n_managers + 1)])
    leave_months = {"AM03": 8, "AM11": 14, "AM17": 20, "AM24": 26, "AM31": 30, "AM38": 33}
    leave_month = np.array([leave_months.get(m, 10_000) for m in managers])
    manager_idx = np.empty(n, dtype=int)
    for i in range(n):  # assign among managers still employed at the customer's start
        choices = np.flatnonzero(leave_month > start_month[i])
        manager_idx[i] = choices[rng.integers(len(choices))]
    cust_leave_month = leave_month[manager_idx]

    static = np.full(n, BASE_HAZARD)
    static *= np.where(customer_type == "intermediate", EFFECTS["intermediate_customer"], 1)
    static *= np.where(
        age < 30, EFFECTS["age_under_30"], np.where(age >= 55, EFFECTS["age_55_plus"], 1)
    )
    static *= np.where(plan == "premium", EFFECTS["premium_plan"], 1)

    price_rise_m = month_starts.get_loc(pd.Timestamp(PRICE_RISE_MONTH + "-01"))
    churn_month = np.full(n, -1)
    last_complaint = np.full(n, -100)
    last_slow = np.full(n, -100)
    last_ticket_month = np.full(n, -1)
    last_ticket_day = np.full(n, -1)
    ticket_parts = []
    for m in range(months):
        active = (start_month <= m) & (churn_month < 0)
        idx = np.flatnonzero(active)
        # support tickets of this month
        k = rng.poisson(0.12, idx.size)
        t_cust = np.repeat(idx, k)
        if t_cust.size:
            cat = rng.choice(TICKET_CATEGORIES, t_cust.size, p=[0.3, 0.3, 0.2, 0.15, 0.05])
            hours = np.round(rng.lognormal(np.log(5), 1.1, t_cust.size), 1)
            dim = (month_starts[m + 1] - month_starts[m]).days
            lo = np.where(start_month[t_cust] == m, start_day[t_cust], 0)
            day = lo + (rng.random(t_cust.size) * (dim - lo)).astype(int)
            last_ticket_day[t_cust] = np.where(last_ticket_month[t_cust] == m, 0, -1)
            np.maximum.at(last_ticket_day, t_cust, day)
            last_ticket_month[t_cust] = m

            slow = hours > SLOW_RESPONSE_HOURS
            sat = np.clip(
                np.round(rng.normal(4.2 - 1.3 * slow - 0.8 * (cat == "complaint"), 0.8)), 1, 5
            )
            resolved = rng.random(t_cust.size) < np.where(cat == "complaint", 0.7, 0.92)
            ticket_parts.append(
                pd.DataFrame(
                    {
                        "customer_id": t_cust,
                        "opened_at": month_starts[m] + pd.to_timedelta(day, "D"),
                        "category": cat,
                        "first_response_hours": hours,
                        "resolved": resolved,
                        "satisfaction": sat.astype(int),
                    }
                )
            )
            last_complaint[t_cust[cat == "complaint"]] = m
            last_slow[t_cust[slow]] = m
        h = static[idx].copy()
        h *= np.where(m - start_month[idx] < 3, EFFECTS["new_customer_first_3_months"], 1)
        h *= np.where(m - last_complaint[idx] < 3, EFFECTS["complaint_in_last_3_months"], 1)
        h *= np.where(m - last_slow[idx] < 3, EFFECTS["slow_response_in_last_3_months"], 1)
        left = (cust_leave_month[idx] <= m) & (m - cust_leave_month[idx] < 3)
        h *= np.where(left, EFFECTS["manager_left_in_last_3_months"], 1)
        if m in (price_rise_m, price_rise_m + 1):
            h *= np.where(
                np.isin(plan[idx], PRICE_RISE_PLANS), EFFECTS["price_rise_month_and_next"], 1
            )
        if month_starts[m].month == 1:
            h *= EFFECTS["january"]
        churn_month[idx[rng.random(idx.size) < h]] = m

    churned = churn_month >= 0
    end_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    cm = churn_month[churned]
    dim = (month_starts[cm + 1] - month_starts[cm]).days.to_numpy()
    lo = np.where(start_month[churned] == cm, start_day[churned] + 1, 0)
    # a customer leaves after the tickets it opened in its last month (cause before effect)
    ticket_lo = np.where(last_ticket_month[churned] == cm, last_ticket_day[churned] + 1, 0)
    lo = np.maximum(lo, ticket_lo)
    offset = np.minimum(lo + (rng.random(cm.size) * (dim - lo)).astype(int), dim - 1)
    # churn date = first inactive day, inside the churn month and not before the start

    end_date[churned] = np.maximum(
        month_starts[cm].to_numpy() + offset.astype("timedelta64[D]"), start_date[churned]
    )

    involuntary = churned & (rng.random(n) < INVOLUNTARY_SHARE)
    churn_type = np.where(churned, np.where(involuntary, "involuntary", "voluntary"), None)
    reason = _reasons(
        rng,
        churned,
        involuntary,
        churn_month,
        last_complaint,
        last_slow,
        cust_leave_month,
        plan,
        price_rise_m,
    )

    ids = np.array([f"C{i:06d}" for i in range(first_id, first_id + n)])
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "start_date": pd.to_datetime(start_date).date,
            "end_date": pd.Series(pd.to_datetime(end_date)).dt.date.where(churned, None),
            "churn_reason": reason,
            "churn_type": churn_type,
            "customer_type": customer_type,
            "age": age,
            "gender": gender,
            "region": region,
            "channel": channel,
            "plan": plan,
            "account_manager": managers[manager_idx],
            "monthly_revenue": monthly_revenue,
        }
    )

    tickets = pd.concat(ticket_parts, ignore_index=True) if ticket_parts else pd.DataFrame()
    tickets["customer_id"] = ids[tickets["customer_id"].to_numpy()]
    tickets.insert(
        0, "ticket_id", [f"T{i:07d}" for i in range(first_ticket, first_ticket + len(tickets))]
    )
    tickets["opened_at"] = tickets["opened_at"].dt.date

    transactions = _invoices(
        ids, start_date, end_date, monthly_revenue, plan, months, month_starts, price_rise_m
    )
    staff = pd.DataFrame(
        {
            "account_manager": list(leave_months),
            "left_date": [
                (month_starts[m] + pd.Timedelta(days=14)).date() for m in leave_months.values()
            ],
        }
    )
    return SampleTables(customers, transactions, tickets, staff)


def _reasons(
    rng,
    churned,
    involuntary,
    churn_month,
    last_complaint,
    last_slow,
    leave_month,
    plan,
    price_rise_m,
) -> np.ndarray:
    """Stated reasons: the category follows the planted cause when there is one."""
    cats = list(REASONS)
    base = np.array([0.2, 0.1, 0.02, 0.15, 0.18, 0.25, 0.10])
    out = np.full(churned.size, None, dtype=object)
    for i in np.flatnonzero(churned):
        if involuntary[i]:
            pair = INVOLUNTARY_REASON
        else:
            w = base.copy()
            m = churn_month[i]
            if m - last_complaint[i] < 3 or m - last_slow[i] < 3:
                w[cats.index("service")] += 0.6
            if 0 <= m - leave_month[i] < 3:
                w[cats.index("employee")] += 0.6
            if m in (price_rise_m, price_rise_m + 1) and plan[i] in PRICE_RISE_PLANS:
                w[cats.index("price")] += 0.6
            cat = cats[rng.choice(len(cats), p=w / w.sum())]
            options = REASONS[cat]
            pair = options[rng.integers(len(options))]
        if rng.random() < 0.1:
            continue  # some churners state no reason
        out[i] = pair[0] if rng.random() < 0.5 else pair[1]
    return out


def _invoices(ids, start_date, end_date, revenue, plan, months, month_starts, price_rise_m):
    """One invoice per started month of each subscription (the price rise applies after it)."""
    horizon = month_starts[months].to_numpy()
    end = np.where(np.isnat(end_date), horizon, end_date)
    start_p = pd.to_datetime(start_date).to_period("M")
    end_p = pd.to_datetime(end - np.timedelta64(1, "D")).to_period("M")
    n_inv = np.maximum((end_p - start_p).map(lambda d: d.n).to_numpy() + 1, 1)
    n_inv = np.where(end <= start_date, 0, n_inv)
    cust = np.repeat(np.arange(len(ids)), n_inv)
    k = np.arange(n_inv.sum()) - np.repeat(np.cumsum(n_inv) - n_inv, n_inv)
    dates = _add_months(pd.DatetimeIndex(start_date[cust]), k)
    ok = dates.to_numpy() < end[cust]
    rise_from = month_starts[price_rise_m].to_numpy()
    amount = revenue[cust] * np.where(
        np.isin(plan[cust], PRICE_RISE_PLANS) & (dates.to_numpy() >= rise_from), 1 + PRICE_RISE, 1
    )
    tx = pd.DataFrame({"customer_id": ids[cust], "date": dates.date, "amount": amount.round(2)})
    return tx[ok].reset_index(drop=True)


def _add_months(dates: pd.DatetimeIndex, k: np.ndarray) -> pd.DatetimeIndex:
    """``dates + k months`` elementwise, clipping the day to the month's length."""
    y = dates.year.to_numpy() + (dates.month.to_numpy() - 1 + k) // 12
    mth = (dates.month.to_numpy() - 1 + k) % 12 + 1
    first = pd.to_datetime({"year": y, "month": mth, "day": 1})
    dim = first.dt.days_in_month.to_numpy()
    day = np.minimum(dates.day.to_numpy(), dim)
    return pd.DatetimeIndex(first + pd.to_timedelta(day - 1, "D"))


def sample_config(name: str = "sample", language: str = "en") -> dict:
    """The ready-to-run config written next to the sample tables."""
    return {
        "name": name,
        "period": "month",
        "language": language,
        "company": "Example Co.",
        "currency": "CNY",
        "margin": 0.10,
        "churn": {"definition": "contract", "inactivity_days": 90, "reactivation_gap_days": 0},
        "sources": {
            "customers": {"path": "customers.csv"},
            "transactions": {"path": "transactions.parquet"},
            "tickets": {"path": "tickets.csv"},
            "staff": {"path": "staff.csv"},
        },
        "segments": ["plan", "customer_type", "gender", "region", "channel"],
        "output_dir": "../../reports",
    }


#: Customers generated at once; a larger sample is written block by block (each block an
#: independent draw of the same company, seeded ``seed + block``), so memory stays flat.
BLOCK_CUSTOMERS = 250_000


def write_sample(
    out: Path,
    n_customers: int = 20_000,
    seed: int = 42,
    output_dir: str | None = None,
    block_customers: int = BLOCK_CUSTOMERS,
) -> Path:
    """Generate the sample into ``out`` with a ready-to-run ``report.yml``.

    Up to ``block_customers`` customers the tables are customers.csv, tickets.csv, staff.csv and
    transactions.parquet (the shipped sample). Above it, customers, tickets and transactions are
    streamed to Parquet one block at a time (about 15 transactions per customer: 5,000,000
    customers give 75.6 million transactions) without holding the whole sample in memory.

    Parameters
    ----------
    out : Path
        Target directory (created).
    n_customers : int
        Customers to generate.
    seed : int
        Random seed.
    output_dir : str, optional
        ``output_dir`` to write into report.yml (default: ``reports`` beside the sample).
    block_customers : int
        Customers per generated block.

    Returns
    -------
    Path
        The written report.yml.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = sample_config()
    if n_customers <= block_customers:
        t = generate_sample(n_customers, seed=seed)
        t.customers.to_csv(out / "customers.csv", index=False)
        t.tickets.to_csv(out / "tickets.csv", index=False)
        t.staff.to_csv(out / "staff.csv", index=False)
        t.transactions.to_parquet(out / "transactions.parquet", index=False, compression="zstd")
    else:
        _write_blocks(out, n_customers, seed, block_customers)
        for table in ("customers", "tickets"):
            cfg["sources"][table] = {"path": f"{table}.parquet"}
    cfg["output_dir"] = output_dir or "reports"
    path = out / "report.yml"
    path.write_text(
        "# Sample company generated by `churn-report sample` (see README.md beside it)\n"
        + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def _write_blocks(out: Path, n_customers: int, seed: int, block: int) -> None:
    """Stream the sample to Parquet files block by block."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writers: dict[str, pq.ParquetWriter] = {}
    schemas: dict[str, pa.Schema] = {}
    first_id, first_ticket = 1, 1
    try:
        for k, start in enumerate(range(0, n_customers, block)):
            n = min(block, n_customers - start)
            t = generate_sample(n, seed=seed + k, first_id=first_id, first_ticket=first_ticket)
            first_id += n
            first_ticket += len(t.tickets)
            if k == 0:
                t.staff.to_csv(out / "staff.csv", index=False)
            for name in ("customers", "tickets", "transactions"):
                frame = getattr(t, name)
                if name not in writers:
                    schemas[name] = pa.Schema.from_pandas(frame, preserve_index=False)
                    writers[name] = pq.ParquetWriter(
                        out / f"{name}.parquet", schemas[name], compression="zstd"
                    )
                writers[name].write_table(
                    pa.Table.from_pandas(frame, schema=schemas[name], preserve_index=False)
                )
            del t
    finally:
        for w in writers.values():
            w.close()
