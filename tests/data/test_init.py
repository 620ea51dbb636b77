"""`churn-report init`: a config inferred from raw exports, with the evidence for each decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from churnreport.cli import app
from churnreport.config import ReportConfig, load_config
from churnreport.data import load_dataset
from churnreport.data.infer import infer_config, read_for_inference, render_config
from tests.conftest import EXAMPLES, SHARED_DATA

RNG_SEED = 7


def _write(frame: pd.DataFrame, path: Path, **options) -> Path:
    frame.to_csv(path, index=False, **options)
    return path


def _crm(n: int = 400, seed: int = RNG_SEED) -> pd.DataFrame:
    """An English CRM snapshot: churn more likely on month-to-month plans and short tenure."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["Month-to-month", "One year", "Two year"], n)
    tenure = rng.integers(0, 73, n)
    p = np.where(plan == "Month-to-month", 0.45, 0.08) * np.where(tenure < 12, 1.5, 0.8)
    churned = rng.random(n) < p
    return pd.DataFrame(
        {
            "CustomerID": [f"{i:04d}-ABCD" for i in range(n)],
            "Gender": rng.choice(["Male", "Female"], n),
            "Tenure Months": tenure,
            "Contract": plan,
            "Paperless Billing": rng.choice(["Yes", "No"], n),
            "Monthly Charges": rng.uniform(20, 120, n).round(2),
            "Churn Label": np.where(churned, "Yes", "No"),
        }
    )


def _config(inference) -> ReportConfig:
    return ReportConfig.model_validate(inference.config)


def _validated(inference, tmp_path: Path):
    out = tmp_path / "cfg" / "report.yml"
    out.parent.mkdir(exist_ok=True)
    out.write_text(render_config(inference, out=out), encoding="utf-8")
    return load_dataset(load_config(out))


def _evidence(inference, role: str) -> list[str]:
    return [d.evidence for d in inference.decisions if d.role == role]


def _rendered(inference, tmp_path: Path) -> tuple[dict, list[str]]:
    """The rendered YAML loaded back (paths made absolute again) and its lines, stripped."""
    out = tmp_path / "report.yml"
    text = render_config(inference, out=out)
    loaded = yaml.safe_load(text)
    for table, src in loaded["sources"].items():
        src["path"] = inference.config["sources"][table]["path"]
    return loaded, [ln.strip() for ln in text.splitlines()]


# --- unit tests on small hand-made exports ----------------------------------------------------


def test_chinese_gbk_export_with_semicolons_maps_id_flag_tenure_and_language(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    n = 300
    churned = rng.random(n) < 0.3  # 30% churned, drawn
    frame = pd.DataFrame(
        {
            "客户编号": [f"K{i:05d}" for i in range(n)],
            "性别": rng.choice(["男", "女"], n),
            "在网时长": rng.integers(1, 61, n),
            "套餐": rng.choice(["畅享套餐", "基础套餐", "家庭套餐"], n),
            "月费": rng.uniform(19, 199, n).round(1),
            "是否流失": np.where(churned, "是", "否"),
        }
    )
    path = _write(frame, tmp_path / "客户明细.csv", sep=";", encoding="gb18030")
    inf = infer_config([path])
    src = inf.config["sources"]["customers"]
    assert src["columns"] == {
        "customer_id": "客户编号",
        "churned": "是否流失",
        "tenure_months": "在网时长",
        "monthly_revenue": "月费",
        "gender": "性别",
        "plan": "套餐",
    }
    assert src["values"] == {"churned": {"是": True, "否": False}}
    assert src["delimiter"] == ";"
    assert inf.config["churn"] == {"definition": "snapshot", "tenure_unit": "months"}
    assert inf.config["language"] == "zh"
    assert inf.config["name"] == "report"  # a Chinese file name gives no ASCII name
    assert _evidence(inf, "churned") == [
        f"churned: 是否流失 — '是' read as churned ({churned.mean():.1%} of rows), '否' as stayed"
    ]
    ds = _validated(inf, tmp_path)
    assert (len(ds.customers), int(ds.customers["churned"].sum())) == (n, int(churned.sum()))


def test_a_numeric_exited_flag_reads_one_as_churned_and_small_whole_tenure_as_years(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    n = 500
    exited = (rng.random(n) < 0.2).astype(int)
    frame = pd.DataFrame(
        {
            "RowNumber": np.arange(1, n + 1),  # unique, but a row counter: never the id
            "CustomerId": rng.permutation(np.arange(15_600_000, 15_600_000 + n)),
            "Surname": rng.choice(["Hill", "Boni", "Chu", "Onio"], n),
            "Geography": rng.choice(["France", "Spain", "Germany"], n),
            "Age": rng.integers(18, 90, n),
            "Tenure": rng.integers(0, 11, n),  # 0..10: years
            "HasCrCard": rng.integers(0, 2, n),
            "IsActiveMember": rng.integers(0, 2, n),
            "Exited": exited,
        }
    )
    inf = infer_config([_write(frame, tmp_path / "bank.csv")])
    src = inf.config["sources"]["customers"]
    assert src["columns"]["customer_id"] == "CustomerId"
    assert src["columns"]["churned"] == "Exited"
    assert src["values"]["churned"] == {"1": True, "0": False}
    assert src["columns"]["region"] == "Geography" and src["columns"]["age"] == "Age"
    assert inf.config["churn"]["tenure_unit"] == "years"
    assert "a tenure in months would rarely stop at 10" in _evidence(inf, "tenure_unit")[0]
    drivers = inf.config["drivers"]["include"]
    assert {"HasCrCard", "IsActiveMember"} <= set(drivers)
    assert not {"RowNumber", "Surname", "CustomerId", "Exited", "Tenure"} & set(drivers)
    ds = _validated(inf, tmp_path)
    assert int(ds.customers["churned"].sum()) == int(exited.sum())
    # 0..10 years read as months would cap tenure at 10 months: the loader multiplies by 12
    assert ds.customers["tenure_months"].max() == 120


def test_the_label_is_the_flag_and_its_value_copy_score_and_cltv_are_outcome_like(tmp_path):
    frame = _crm()
    churned = frame["Churn Label"].eq("Yes")
    rng = np.random.default_rng(RNG_SEED)
    frame["Churn Value"] = churned.astype(int)
    frame["Churn Score"] = np.where(churned, rng.integers(60, 100, len(frame)), rng.integers(0, 80, len(frame)))  # fmt: skip
    frame["CLTV"] = rng.integers(2000, 6000, len(frame))
    inf = infer_config([_write(frame, tmp_path / "telco.csv")])
    cfg = inf.config
    assert cfg["sources"]["customers"]["columns"]["churned"] == "Churn Label"
    assert cfg["sources"]["customers"]["values"]["churned"] == {"Yes": True, "No": False}
    assert "preferred to Churn Value (100% agreement)" in _evidence(inf, "churned")[0]
    assert set(cfg["drivers"]["exclude"]) == {"Churn Value", "Churn Score", "CLTV"}
    assert not set(cfg["drivers"]["exclude"]) & set(cfg["drivers"]["include"])
    assert "Paperless Billing" in cfg["drivers"]["include"]
    assert "monthly_revenue" in cfg["drivers"]["include"]  # mapped, so by its canonical name
    assert cfg["segments"][0] == "plan"  # Contract, mapped as plan


def test_a_column_that_separates_churned_customers_on_its_own_is_no_driver(tmp_path):
    frame = _crm()
    churned = frame["Churn Label"].eq("Yes")
    # a status set on leaving, named innocently: the data give it away (AUC 1)
    frame["DaysSinceRequest"] = np.where(churned, 30 + np.arange(len(frame)) % 40, 0)
    inf = infer_config([_write(frame, tmp_path / "crm.csv")])
    assert "DaysSinceRequest" in inf.config["drivers"]["exclude"]
    assert "DaysSinceRequest" not in inf.config["drivers"]["include"]
    (why,) = [d.evidence for d in inf.decisions if d.column == "DaysSinceRequest"]
    assert "AUC 1.000" in why


@pytest.mark.parametrize(
    ("name", "high", "unit"),
    [
        ("Tenure", 10, "years"),  # whole numbers up to 10, no unit named: years
        ("Tenure", 72, "months"),
        ("Tenure Months", 10, "months"),  # the name wins over the values
        ("tenure_years", 40, "years"),
    ],
)
def test_tenure_unit_from_the_name_else_from_the_values(tmp_path, name, high, unit):
    frame = _crm().rename(columns={"Tenure Months": name})
    frame[name] = np.arange(len(frame)) % (high + 1)
    inf = infer_config([_write(frame, tmp_path / "c.csv")])
    assert inf.config["sources"]["customers"]["columns"]["tenure_months"] == name
    assert inf.config["churn"]["tenure_unit"] == unit


def test_workbook_sheet_with_the_table_is_chosen_and_its_header_found_below_a_title(tmp_path):
    data = _crm(200)
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(
            {"Variable": list(data.columns), "Description": [f"the {c}" for c in data.columns]}
        ).to_excel(xl, sheet_name="Data Dict", index=False)
        pd.DataFrame({"Row Labels": [1, 2, 3], "Count": [5, 6, 7]}).to_excel(
            xl, sheet_name="Pivot", index=False
        )
        pd.DataFrame([["Customer export, June"]]).to_excel(
            xl, sheet_name="Customers", index=False, header=False
        )
        data.to_excel(xl, sheet_name="Customers", index=False, startrow=2)
    table = read_for_inference(path)
    assert (table.sheet, table.header_row) == ("Customers", 2)
    assert "a data dictionary" in table.notes[0] and "a pivot table" in table.notes[0]
    inf = infer_config([path])
    src = inf.config["sources"]["customers"]
    assert (src["sheet"], src["header_row"]) == ("Customers", 2)
    ds = _validated(inf, tmp_path)
    assert int(ds.customers["churned"].sum()) == int(data["Churn Label"].eq("Yes").sum())


def test_a_purchase_log_alone_is_inactivity_with_a_window_from_the_buying_cycle(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    rows = []
    for c in range(120):  # each customer buys about monthly for a while
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        for k in range(int(rng.integers(2, 12))):
            rows.append((f"C{c:03d}", start + pd.Timedelta(days=30 * k), 20 + c % 7))
    log = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    log.insert(0, "order_id", [f"O{i:06d}" for i in range(len(log))])  # unique: not the customer
    log["order_date"] = log["order_date"].dt.strftime("%Y-%m-%d")
    inf = infer_config([_write(log, tmp_path / "orders.csv")])
    cfg = inf.config
    # monthly buyers: the smallest offered window covering twice the median gap (30 days)
    assert cfg["churn"] == {"definition": "inactivity", "inactivity_days": 60}
    assert list(cfg["sources"]) == ["transactions"]
    assert cfg["sources"]["transactions"]["columns"] == {
        "customer_id": "customer_id",
        "date": "order_date",
        "amount": "amount",
    }
    assert "median gap 30" in _evidence(inf, "inactivity_days")[0]
    ds = _validated(inf, tmp_path)
    assert len(ds.customers) == 120


def test_accounts_with_subscriptions_are_contract_data_linked_by_the_shared_id(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    accounts = pd.DataFrame(
        {
            "account_id": [f"A-{i:04x}" for i in range(80)],
            "account_name": [f"Company {i}" for i in range(80)],
            "plan_tier": rng.choice(["Basic", "Pro"], 80),
        }
    )
    subs = []
    for i, a in enumerate(accounts["account_id"]):
        for k in range(2):
            start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=40 * k + i)
            end = "" if (i % 3 and k == 1) else (start + pd.Timedelta(days=35)).date().isoformat()
            subs.append((f"S-{i:03d}{k}", a, start.date().isoformat(), end, 100 + i))
    subs = pd.DataFrame(subs, columns=["subscription_id", "account_id", "start_date",
                                       "end_date", "mrr_amount"])  # fmt: skip
    inf = infer_config([_write(accounts, tmp_path / "accounts.csv"),
                        _write(subs, tmp_path / "subscriptions.csv")])  # fmt: skip
    cfg = inf.config
    assert cfg["churn"]["definition"] == "contract"
    assert cfg["sources"]["customers"]["columns"]["customer_id"] == "account_id"
    assert cfg["sources"]["subscriptions"]["columns"] == {
        "customer_id": "account_id",
        "start_date": "start_date",
        "end_date": "end_date",
        "mrr": "mrr_amount",
    }
    assert "as_of" not in cfg  # dated data: the report date comes from the data
    ds = _validated(inf, tmp_path)
    assert len(ds.customers) == 80


def test_rendered_yaml_loads_back_with_relative_paths_and_evidence_above_each_setting(tmp_path):
    data = tmp_path / "exports"
    data.mkdir()
    inf = infer_config([_write(_crm(), data / "Customer Export.csv")])
    out = tmp_path / "configs" / "report.yml"
    text = render_config(inf, out=out)
    loaded = yaml.safe_load(text)
    assert loaded["sources"]["customers"]["path"] == "../exports/Customer Export.csv"
    loaded["sources"]["customers"]["path"] = inf.config["sources"]["customers"]["path"]
    assert loaded == inf.config
    lines = text.splitlines()
    for d in inf.decisions:
        if d.key:
            assert f"# {d.evidence}" in [ln.strip() for ln in lines], d
    at = [ln.strip() for ln in lines].index("churned: Churn Label")
    assert lines[at - 1].strip().startswith("# churned: Churn Label — 'Yes' read as churned (")
    assert "# Could not decide" in text and "#   - as_of:" in text
    assert inf.config["name"] == "customer_export"


# --- the classes of exports users bring -------------------------------------------------------


def test_a_chinese_crm_with_a_start_date_and_no_tenure_asks_for_the_tenure(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    n = 300
    churned = rng.random(n) < 0.2
    start = pd.Timestamp("2024-06-30") - pd.to_timedelta(rng.integers(30, 2000, n), unit="D")
    frame = pd.DataFrame(
        {
            "客户ID": [f"C{20230000 + i}" for i in range(n)],
            "地区": rng.choice(["华东", "华南", "华北"], n),
            "入网时间": start.strftime("%Y/%m/%d"),
            "月消费": rng.uniform(18, 288, n).round(2),
            "是否流失": np.where(churned, "是", "否"),
            "流失原因": np.where(churned, rng.choice(["资费太高", "信号差"], n), ""),
        }
    )
    inf = infer_config([_write(frame, tmp_path / "客户明细.csv", encoding="gbk")])
    cols = inf.config["sources"]["customers"]["columns"]
    assert (cols["customer_id"], cols["churned"], cols["churn_reason"], cols["region"]) == (
        "客户ID", "是否流失", "流失原因", "地区",
    )  # fmt: skip
    assert "tenure_months" not in cols and "start_date" not in cols  # no end date: no contract
    (question,) = [q for q in inf.questions if q.startswith("churn definition")]
    assert "入网时间 is a start date" in question and "tenure in months" in question


def _bank(n: int = 300, seed: int = RNG_SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "CustomerId": rng.permutation(np.arange(15_600_000, 15_600_000 + n)),
            "Geography": rng.choice(["France", "Spain", "Germany"], n),
            "Age": rng.integers(18, 90, n),
            "Tenure": rng.integers(0, 11, n),
            "Balance": rng.uniform(0, 2e5, n).round(2),
            "Exited": (rng.random(n) < 0.2).astype(int),
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_description_row_under_the_header_is_skipped_and_said_so(tmp_path, suffix):
    data = _bank()
    notes = ["unique id", "country", "years", "years", "EUR", "1 = left"]
    frame = pd.concat([pd.DataFrame([notes], columns=data.columns), data.astype(object)])
    path = tmp_path / f"bank{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_excel(path, index=False)
    inf = infer_config([path])
    src = inf.config["sources"]["customers"]
    assert src["skip_rows"] == 1 and "header_row" not in src
    # the columns read as numbers again: the flag, the tenure in years, the age
    assert (src["columns"]["churned"], src["columns"]["tenure_months"]) == ("Exited", "Tenure")
    assert src["values"]["churned"] == {"1": True, "0": False}
    assert inf.config["churn"]["tenure_unit"] == "years" and src["columns"]["age"] == "Age"
    (why,) = _evidence(inf, "skip_rows")
    unit = "line" if suffix == ".csv" else "spreadsheet row"
    assert why.startswith(f"skip_rows: 1 — {unit} 2, right under the header, is no data: "
                          "'unique id' under CustomerId")  # fmt: skip
    loaded, lines = _rendered(inf, tmp_path)
    assert loaded == inf.config and f"# {why}" in lines
    ds = _validated(inf, tmp_path)
    assert (len(ds.customers), int(ds.customers["churned"].sum())) == (
        len(data), int(data["Exited"].sum()),
    )  # fmt: skip


def test_a_first_data_row_with_placeholders_is_no_description_row(tmp_path):
    data = _bank().astype(object)
    data.loc[0, ["Age", "Tenure", "Balance"]] = "-"  # no letters: placeholders, not notes
    data.loc[1, ["Age", "Balance"]] = "unknown"  # one word twice: a placeholder too
    inf = infer_config([_write(data, tmp_path / "bank.csv")])
    assert "skip_rows" not in inf.config["sources"]["customers"]


def _retail(customers: int = 60, seed: int = RNG_SEED) -> tuple[pd.DataFrame, dict]:
    """An Online Retail export: invoice lines, cancellations numbered C..., guest rows."""
    rng = np.random.default_rng(seed)
    rows, invoice = [], 536365
    for c in range(customers):
        day = pd.Timestamp("2010-12-01") + pd.Timedelta(days=int(rng.integers(0, 40)))
        while day < pd.Timestamp("2011-12-01"):
            invoice += 1
            for _ in range(3):
                rows.append((str(invoice), int(rng.integers(1, 12)), day, 2.55, 12346.0 + c))
            if invoice % 10 == 0:  # one cancelled line, invoiced apart
                rows.append((f"C{invoice}", -int(rng.integers(1, 6)), day, 2.55, 12346.0 + c))
            day += pd.Timedelta(days=int(rng.integers(15, 45)))
    frame = pd.DataFrame(rows, columns=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice",
                                        "CustomerID"])  # fmt: skip
    guests = frame.sample(frac=1 / 3, random_state=seed).assign(CustomerID=np.nan)
    guests["InvoiceNo"] = [str(600000 + i) for i in range(len(guests))]
    frame = pd.concat([frame, guests], ignore_index=True).sort_values("InvoiceDate", kind="stable")
    frame.insert(1, "StockCode", rng.choice(["85123A", "71053", "84406B"], len(frame)))
    frame["InvoiceDate"] = [f"{t.month}/{t.day}/{t.year} {8 + i % 9}:{i % 60:02d}"
                            for i, t in enumerate(frame["InvoiceDate"])]  # fmt: skip
    planted = {
        "cancelled": frame["InvoiceNo"].str.startswith("C").mean(),
        "guests": frame["CustomerID"].isna().mean(),
    }
    return frame, planted


def test_a_transaction_log_derives_the_amount_and_leaves_out_cancellations_and_guests(tmp_path):
    frame, planted = _retail()
    assert planted["guests"] > 0.2  # more than max_excluded_share: only a rule keeps them out
    inf = infer_config([_write(frame, tmp_path / "Online Retail.csv")])
    src = inf.config["sources"]["transactions"]
    assert inf.config["churn"]["definition"] == "inactivity"
    assert src["date_format"] == "%m/%d/%Y %H:%M"  # the time of day is part of the format
    assert src["derive"] == {"amount": "Quantity * UnitPrice"}
    assert src["columns"] == {"customer_id": "CustomerID", "date": "InvoiceDate",
                              "amount": "amount"}  # fmt: skip
    assert src["leave_out"] == [
        {"column": "InvoiceNo", "startswith": "C", "reason": "cancellations"},
        {"column": "CustomerID", "missing": True, "reason": "guest checkouts"},
    ]
    cancel, guests = _evidence(inf, "leave_out")
    assert cancel.startswith(
        f"leave_out: InvoiceNo starts with 'C' — cancellations, {planted['cancelled']:.1%} of rows"
    )
    assert "Quantity is negative on 100% of them" in cancel
    assert guests.startswith(
        f"leave_out: CustomerID empty — guest checkouts, {planted['guests']:.1%} of rows"
    )
    assert "derive: amount = Quantity * UnitPrice — no amount column" in _evidence(inf, "derive")[0]
    loaded, lines = _rendered(inf, tmp_path)
    assert loaded == inf.config
    at = lines.index("- {column: InvoiceNo, startswith: C, reason: cancellations}")
    assert lines[at - 1] == f"# {cancel}"
    ds = _validated(inf, tmp_path)
    assert len(ds.customers) == 60


def test_a_status_column_marks_cancelled_and_returned_orders_and_a_unit_price_needs_backticks(
    tmp_path,
):
    rng = np.random.default_rng(RNG_SEED)
    n = 800
    status = rng.choice(["已完成", "已取消", "退货", "未退货"], n, p=[0.8, 0.06, 0.04, 0.1])
    frame = pd.DataFrame(
        {
            "订单号": [f"SO{100000 + i}" for i in range(n)],
            "客户编号": [f"U{int(x):04d}" for x in rng.integers(0, 100, n)],
            "下单时间": (pd.Timestamp("2023-01-01")
                         + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).strftime("%Y-%m-%d"),
            "数量": rng.integers(1, 5, n),
            "Unit Price": rng.choice([19.9, 59.0], n),
            "订单状态": status,
        }
    )  # fmt: skip
    inf = infer_config([_write(frame, tmp_path / "orders.csv")])
    src = inf.config["sources"]["transactions"]
    assert src["derive"] == {"amount": "`数量` * `Unit Price`"}
    (rule,) = src["leave_out"]  # 未退货 (not returned) is an order like any other
    assert rule == {"column": "订单状态", "equals": ["已取消", "退货"],
                    "reason": "cancelled or refunded"}  # fmt: skip
    share = np.isin(status, ["已取消", "退货"]).mean()
    assert f"cancelled or refunded, {share:.1%} of rows" in _evidence(inf, "leave_out")[0]
    assert _rendered(inf, tmp_path)[0] == inf.config


def test_saas_subscriptions_with_a_status_column_are_contract_data_and_nothing_is_left_out(
    tmp_path,
):
    rng = np.random.default_rng(RNG_SEED)
    accounts = pd.DataFrame(
        {
            "account_id": [f"acc_{i:04d}" for i in range(120)],
            "industry": rng.choice(["Retail", "Finance", "Tech"], 120),
            "created_at": "2022-01-01",
        }
    )
    subs = []
    for i, a in enumerate(accounts["account_id"]):
        start = pd.Timestamp("2022-01-01") + pd.Timedelta(days=3 * i)
        gone = i % 4 == 0  # a quarter cancel after their first year
        end = (start + pd.DateOffset(years=1)).date().isoformat() if gone else ""
        subs.append((f"sub_{i}", a, start.date().isoformat(), end,
                     "canceled" if gone else "active", 49 * (1 + i % 3)))  # fmt: skip
    subs = pd.DataFrame(subs, columns=["subscription_id", "account_id", "start_date", "end_date",
                                       "status", "mrr"])  # fmt: skip
    inf = infer_config([_write(accounts, tmp_path / "accounts.csv"),
                        _write(subs, tmp_path / "subscriptions.csv")])  # fmt: skip
    cfg = inf.config
    assert cfg["churn"]["definition"] == "contract"
    assert cfg["sources"]["subscriptions"]["columns"]["mrr"] == "mrr"
    assert not any("leave_out" in s or "derive" in s for s in cfg["sources"].values())
    ds = _validated(inf, tmp_path)
    ended = pd.to_datetime(subs["end_date"].replace("", None)) <= pd.Timestamp(ds.as_of)
    assert (len(ds.customers), int(ds.customers["churned"].sum())) == (120, int(ended.sum()))


@pytest.mark.parametrize(
    ("column", "churned", "stayed"),
    [
        ("Attrition_Flag", "Attrited Customer", "Existing Customer"),
        ("status", "churned", "active"),
        ("Outcome", "Left", "Stayed"),
    ],
)
def test_a_churn_label_in_words_is_read_from_its_values(tmp_path, column, churned, stayed):
    frame = _crm(300).drop(columns=["Churn Label"])
    flag = np.random.default_rng(RNG_SEED).random(300) < 0.16
    frame[column] = np.where(flag, churned, stayed)
    inf = infer_config([_write(frame, tmp_path / "export.csv")])
    src = inf.config["sources"]["customers"]
    assert src["columns"]["churned"] == column
    assert src["values"]["churned"] == {churned: True, stayed: False}
    ds = _validated(inf, tmp_path)
    assert int(ds.customers["churned"].sum()) == int(flag.sum())


def test_a_file_without_a_customer_id_numbers_its_rows(tmp_path):
    frame = _crm(300).drop(columns=["CustomerID"])
    frame.insert(0, "RowNumber", np.arange(1, 301))  # a row counter is no customer's id
    # a unique measurement is no id either (widths differ)
    frame["Total Charges"] = np.arange(300) * 37 + 5
    frame = pd.concat([frame, frame.iloc[:4].assign(RowNumber=[301, 302, 303, 304])])
    repeated = pd.concat([frame.drop(columns="RowNumber").iloc[:4]] * 2)
    inf = infer_config([_write(frame, tmp_path / "telco.csv")])
    src = inf.config["sources"]["customers"]
    assert src["row_ids"] is True
    assert "customer_id" not in src["columns"]  # the loader adds it
    assert inf.config["churn"]["definition"] == "snapshot"
    (why,) = _evidence(inf, "row_ids")
    assert why.startswith("row_ids: true — no column is named like a customer's id (RowNumber "
                          "counts rows) and none holds distinct codes on every row")  # fmt: skip
    assert "304 rows is one customer" in why and "no row repeats another" in why
    assert any(q.startswith("customer id: telco.csv has none") for q in inf.questions)
    assert _rendered(inf, tmp_path)[0] == inf.config
    # without the counter, the 4 repeated rows are exact copies: the loader leaves them out
    inf = infer_config([_write(frame.drop(columns="RowNumber"), tmp_path / "t2.csv")])
    assert "4 rows repeat another row exactly" in _evidence(inf, "row_ids")[0]
    ds = _validated(inf, tmp_path)
    assert len(ds.customers) == 300 and len(repeated) == 8


def test_a_whitespace_file_without_a_header_gets_names_from_what_its_values_show(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    n = 200
    rows = zip(
        [f"S{i:04d}" for i in range(n)],  # distinct codes: the customer id
        rng.choice(["KS", "OH", "NJ"], n),
        rng.integers(1, 60, n),
        rng.choice(["M", "F"], n),  # gender
        rng.choice(["yes", "no"], n),  # a yes/no: not obviously churn
        np.where(rng.random(n) < 0.25, "churned", "active"),  # the churn flag by its values
        strict=True,
    )
    path = tmp_path / "churn.txt"
    path.write_text("".join(" ".join(f"{v:>7}" for v in r) + "\n" for r in rows))
    table = read_for_inference(path)
    assert (table.delimiter, table.header_row, table.frame.shape) == ("whitespace", 0, (n, 6))
    inf = infer_config([path])
    src = inf.config["sources"]["customers"]
    assert src["delimiter"] == "whitespace"
    assert src["names"] == ["customer_id", "col2", "col3", "gender", "col5", "churned"]
    assert (src["columns"]["customer_id"], src["columns"]["churned"]) == ("customer_id", "churned")
    (names,) = _evidence(inf, "names")
    assert "the file has no header row (its first row, 'S0000'" in names
    assert "customer_id: column 1 holds a distinct code" in names
    (question,) = [q for q in inf.questions if q.startswith("column names of churn.txt")]
    assert "col5 holds" in question  # the two-level column left to the user
    loaded, lines = _rendered(inf, tmp_path)
    assert loaded == inf.config
    assert "names: [customer_id, col2, col3, gender, col5, churned]" in lines
    assert "delimiter: whitespace" in lines


def test_a_headerless_comma_file_and_a_whitespace_file_with_a_header(tmp_path):
    data = _crm(120)
    headerless = _write(data, tmp_path / "crm.csv", header=False)
    table = read_for_inference(headerless)
    assert table.names is not None and table.names[0] == "customer_id"
    assert table.delimiter == "," and len(table.frame) == 120  # the first row is data
    spaced = tmp_path / "crm.txt"
    with_header = data.drop(columns=["Contract", "Paperless Billing"])
    with_header.columns = [c.replace(" ", "_") for c in with_header.columns]
    spaced.write_text(" ".join(with_header.columns) + "\n" + "".join(
        "  ".join(map(str, r)) + "\n" for r in with_header.itertuples(index=False)))  # fmt: skip
    table = read_for_inference(spaced)
    assert (table.delimiter, table.names, len(table.frame)) == ("whitespace", None, 120)
    assert list(table.frame.columns) == list(with_header.columns)


# --- the command ----------------------------------------------------------------------------


runner = CliRunner()


def test_init_command_writes_a_config_that_validates_and_prints_its_decisions(tmp_path):
    path = _write(_crm(), tmp_path / "crm.csv")
    out = tmp_path / "report.yml"
    res = runner.invoke(app, ["init", str(path), "--out", str(out), "--name", "crm_june"])
    assert res.exit_code == 0, res.output
    assert "churned: Churn Label — 'Yes' read as churned" in res.output
    assert "could not decide:" in res.output and "as_of:" in res.output
    assert "Data quality" in res.output  # the validation ran, as `validate` prints it
    assert load_config(out).name == "crm_june"
    again = runner.invoke(app, ["init", str(path), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output  # never overwritten silently
    assert runner.invoke(app, ["init", str(path), "--out", str(out), "--force"]).exit_code == 0


def test_init_command_exits_2_when_the_config_cannot_be_completed(tmp_path):
    frame = _crm().drop(columns=["Churn Label"])  # no churn flag, no dates
    out = tmp_path / "report.yml"
    res = runner.invoke(app, ["init", str(_write(frame, tmp_path / "crm.csv")), "--out", str(out)])
    assert res.exit_code == 2
    assert "churn definition: no subscription or start/end dates" in res.output
    assert "a churn flag" in res.output
    assert "does not validate" in res.output and "ERROR" in res.output
    assert out.exists()  # written, to be edited


# --- the real exports: init's config counts what the hand-written example counts ---------------


REAL = {
    "telco_ibm": "telco_ibm_reasons/Telco_customer_churn.xlsx",
    "bank_churn": "bank_churn/Churn_Modelling.csv",
    "ecommerce": "ecommerce_complaints/E Commerce Dataset.xlsx",
    "messy_telco_bom": "messy/telco_WA_Fn_Arunava14_with_geo_BOM.csv",
    "messy_telco_missing": "messy/telco_WA_Fn_1BYDH8_injected_missing.csv",
    "messy_bank_missing": "messy/Churn_Modelling_AleksanderWaligora_injected_missing.csv",
}


@pytest.fixture(scope="module")
def expected_counts() -> dict[str, tuple[int, int]]:
    """(customers, churned) of each hand-written example config, loaded once."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    counts = {}
    for name in REAL:
        ds = load_dataset(load_config(EXAMPLES / f"{name}.yml"))
        counts[name] = (len(ds.customers), int(ds.customers["churned"].sum()))
    return counts


@pytest.mark.parametrize("name", list(REAL))
def test_init_on_a_real_export_counts_what_the_hand_written_config_counts(
    expected_counts, tmp_path, name
):
    out = tmp_path / "report.yml"
    res = runner.invoke(app, ["init", str(SHARED_DATA / REAL[name]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    cfg = load_config(out)
    ds = load_dataset(cfg)
    assert (len(ds.customers), int(ds.customers["churned"].sum())) == expected_counts[name]
    example = load_config(EXAMPLES / f"{name}.yml")
    assert cfg.churn.definition == "snapshot"
    assert cfg.churn.tenure_unit == example.churn.tenure_unit
    mine, theirs = cfg.sources["customers"], example.sources["customers"]
    assert (mine.sheet, mine.header_row) == (theirs.sheet, theirs.header_row)
    for canonical in ("customer_id", "churned", "tenure_months"):
        assert mine.columns[canonical] == theirs.columns[canonical]
    outcome = {"Churn Value", "Churn Score", "CLTV", "Churn Reason"}
    assert not outcome & set(cfg.drivers.include)
    if name == "telco_ibm":
        assert {"Churn Value", "Churn Score", "CLTV"} <= set(cfg.drivers.exclude)
        assert mine.columns["churn_reason"] == "Churn Reason"


def test_init_on_the_saas_export_gives_the_hand_written_figures(tmp_path):
    """Five files of a SaaS export: accounts, subscriptions, churn events, tickets, usage."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    files = sorted((SHARED_DATA / "saas_ravenstack").glob("*.csv"))
    out = tmp_path / "report.yml"
    res = runner.invoke(app, ["init", *map(str, files), "--out", str(out)])
    assert res.exit_code == 0, res.output
    mine = load_dataset(load_config(out))
    theirs = load_dataset(load_config(EXAMPLES / "saas_ravenstack.yml"))
    assert mine.definition == theirs.definition == "contract"
    assert mine.as_of == theirs.as_of

    def counts(ds):
        return len(ds.customers), int(ds.customers["churned"].sum()), len(ds.spells)

    assert counts(mine) == counts(theirs)
