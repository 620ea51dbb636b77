"""Run every churnreport benchmark and write the results as a Markdown table.

    .venv/bin/python benchmarks/run.py                       # 20k and 500k customers
    .venv/bin/python benchmarks/run.py --sizes 20000 500000 5000000 --repeat 3

Measures (docs/PERFORMANCE.md explains each and records the results):

- end-to-end ``churn-report run`` (HTML + PDF) wall time and peak RSS of the whole process tree
  (the CLI and its kernels, sampled every 0.1 s) per sample size;
- the floor: the same six notebooks reduced to their parameters and import cells, run and
  exported by the same pipeline on the same data; reported as run / floor;
- small snapshot exports (the first 3,150 and 10,000 rows of the real bank export in
  ../shared/data, with its example config) end to end against the floor on the same rows;
- ``churn-report --help`` wall time (a fresh interpreter each run);
- transaction summaries (frequency, recency, T, monetary value) by ``engine.transaction_summary``
  on DuckDB vs ``lifetimes.utils.summary_data_from_transaction_data`` on the same frame at 1M
  and 5M transactions, outputs asserted identical (lifetimes is installed into
  benchmarks/.deps only, never into the project's environment);
- the prepare step (``load_dataset``: read, validate, engine reduction, spells, customer table)
  at growing sizes, with the log-log slope of time vs transactions;
- a 250 MB line-item CSV (the bad-input catalogue's ``large-file`` case) loaded block by block,
  against reading it whole.

Samples are generated once into benchmarks/.data (git-ignored). Nothing here is a test: no
assertion on time anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
DEPS = ROOT / "benchmarks" / ".deps"
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
CLI = str(Path(PY).with_name("churn-report"))


def sample(n: int) -> Path:
    """The sample of ``n`` customers (generated once, streamed to Parquet above 250k)."""
    out = DATA / f"sample_{n}"
    cfg = out / "report.yml"
    if not cfg.exists():
        t = time.perf_counter()
        subprocess.run([CLI, "sample", "--out", str(out), "--customers", str(n)], check=True)
        print(f"  generated {n:,} customers in {time.perf_counter() - t:.0f} s", flush=True)
    return cfg


def transactions_in(cfg: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(cfg.parent / "transactions.parquet").metadata.num_rows


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS (GB) of the process tree, exit code, standard output."""
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    stop = threading.Event()

    def poll():
        nonlocal peak
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.1)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if proc.returncode not in (0, 4):
        print(stderr.decode(errors="replace")[-3000:], file=sys.stderr)
    return wall, peak / 1e9, proc.returncode, stdout.decode(errors="replace")


def floor_notebooks(target: Path) -> Path:
    """The report notebooks reduced to their parameters cell and ``import churnreport``."""
    import nbformat

    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        keep = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        keep.append(nbformat.v4.new_code_cell("import churnreport as cr"))
        nb.cells = keep
        nbformat.write(nb, target / path.name)
    return target


def run_cmd(cfg: Path, out: Path, notebooks: Path | None = None) -> list[str]:
    if notebooks is None:
        return [CLI, "run", "--config", str(cfg), "--out", str(out)]
    code = (
        "import sys; from pathlib import Path;"
        "from churnreport.config import load_config;"
        "from churnreport.report.pipeline import run_report;"
        f"run_report(load_config({str(cfg)!r}, output_dir={str(out)!r}),"
        f" notebooks_dir=Path({str(notebooks)!r}))"
    )
    return [PY, "-c", code]


def _breakdown(out: Path) -> str:
    """Seconds of the run's phases and notebooks, from its manifest.json."""
    found = sorted(out.glob("*/manifest.json"))
    if not found:
        return ""
    m = json.loads(found[0].read_text(encoding="utf-8"))
    parts = [f"{k} {v:.0f}" for k, v in m.get("timings_seconds", {}).items() if k != "total"]
    parts += [f"{nb['name'][:-6]} {nb['seconds']:.0f}" for nb in m.get("notebooks", [])]
    return ", ".join(parts)


def _runs(
    label: str, cfg: Path, notebooks: Path | None, reps: int
) -> tuple[list[float], list[float], str]:
    """Wall seconds and peak RSS of ``reps`` report runs, the last one's phases and notebooks."""
    walls, peaks, breakdown = [], [], ""
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(reps):
            out = Path(tmp) / "out"
            wall, peak, code, _ = measure(run_cmd(cfg, out, notebooks))
            breakdown = _breakdown(out)
            shutil.rmtree(out, ignore_errors=True)
            if code not in (0, 4):
                print(f"  {label}: exit {code}", flush=True)
                return [float("nan")], [peak], breakdown
            walls.append(wall)
            peaks.append(peak)
    return walls, peaks, breakdown


def end_to_end(sizes: list[int], repeat: int, rows: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        floor_dir = floor_notebooks(Path(tmp) / "floor")
        for n in sizes:
            cfg = sample(n)
            tx = transactions_in(cfg)
            reps = repeat if n <= 100_000 else 1  # minutes per run above: one run
            for label, nbs in (("run", None), ("floor", floor_dir)):
                if label == "floor" and n != sizes[0]:
                    continue
                walls, peaks, breakdown = _runs(f"{label} {n:,}", cfg, nbs, reps)
                row = {
                    "benchmark": f"end-to-end {label}",
                    "customers": n,
                    "transactions": tx,
                    "runs": len(walls),
                    "median_s": statistics.median(walls),
                    "peak_rss_gb": max(peaks),
                    "last_run_s": breakdown,
                }
                rows.append(row)
                print(f"  {row}", flush=True)


#: The snapshot export the small-data runs are cut from (a real one: tenure, a churn flag, no dates).
SNAPSHOT = ROOT / "data" / "examples" / "bank_churn.yml"


def snapshot_config(n: int) -> Path:
    """The first ``n`` rows of the real bank snapshot export, with its example config."""
    import yaml

    from churnreport.config import load_config

    out = DATA / f"snapshot_{n}"
    cfg = out / "report.yml"
    if not cfg.exists():
        out.mkdir(parents=True, exist_ok=True)
        source = load_config(SNAPSHOT).source_path("customers")
        pd.read_csv(source, nrows=n).to_csv(out / source.name, index=False)
        raw = yaml.safe_load(SNAPSHOT.read_text(encoding="utf-8"))
        raw["sources"]["customers"]["path"] = source.name
        raw["name"] = f"snapshot_{n}"
        raw.pop("output_dir", None)
        cfg.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return cfg


def snapshots(sizes: list[int], repeat: int, rows: list[dict]) -> None:
    """Small snapshot exports end to end against the floor on the same rows."""
    with tempfile.TemporaryDirectory() as tmp:
        floor_dir = floor_notebooks(Path(tmp) / "floor")
        for n in sizes:
            cfg = snapshot_config(n)
            found = {}
            for label, nbs in (("run", None), ("floor", floor_dir)):
                found[label] = _runs(f"snapshot {label} {n:,}", cfg, nbs, repeat)
            floor = statistics.median(found["floor"][0])
            for label, (walls, peaks, breakdown) in found.items():
                rows.append(
                    {
                        "benchmark": f"snapshot {label}",
                        "rows": n,
                        "runs": len(walls),
                        "median_s": statistics.median(walls),
                        "x_floor": statistics.median(walls) / floor,
                        "peak_rss_gb": max(peaks),
                        "last_run_s": breakdown,
                    }
                )
                print(f"  {rows[-1]}", flush=True)


def cli_help(repeat: int, rows: list[dict]) -> None:
    """Wall time of ``churn-report --help`` (a fresh interpreter each time)."""
    walls = []
    for _ in range(max(repeat, 5)):
        wall, _, code, _ = measure([CLI, "--help"])
        if code != 0:
            raise SystemExit(f"churn-report --help failed (exit {code})")
        walls.append(wall)
    rows.append(
        {"benchmark": "cli --help", "runs": len(walls), "median_s": statistics.median(walls)}
    )
    print(f"  {rows[-1]}", flush=True)


def _lifetimes():
    if not (DEPS / "lifetimes").exists():
        subprocess.run(
            [PY, "-m", "pip", "install", "-q", "--no-deps", "--target", str(DEPS)]
            + ["lifetimes==0.11.3", "dill"],
            check=True,
        )
    sys.path.insert(0, str(DEPS))
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data


def _lifetimes_on(lifetimes_summary, tx: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """lifetimes' summary of ``tx`` (daily), as a frame sorted by customer like ours."""
    out = lifetimes_summary(
        tx,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(end),
        freq="D",
    )
    return out.reset_index().sort_values("customer_id").reset_index(drop=True)


def summaries(counts: list[int], repeat: int, rows: list[dict]) -> None:
    from churnreport.data import engine

    lifetimes_summary = _lifetimes()
    big = DATA / "sample_500000" / "transactions.parquet"
    if not big.exists():
        sample(500_000)
    all_tx = pd.read_parquet(big)
    all_tx["date"] = pd.to_datetime(all_tx["date"])
    end = dt.date(2024, 12, 31)
    for n in counts:
        if n > len(all_tx):  # repeat the table with new ids to reach n rows
            k = -(-n // len(all_tx))
            parts = [all_tx.assign(customer_id=all_tx["customer_id"] + f"-{i}") for i in range(k)]
            tx = pd.concat(parts, ignore_index=True).iloc[:n]
        else:
            tx = all_tx.iloc[:n]
        con = engine.connect()
        ours_t, theirs_t = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            ours = engine.to_frame(con, engine.transaction_summary(engine.table(tx), end))
            ours_t.append(time.perf_counter() - t)
        for _ in range(max(1, repeat if n <= 1_000_000 else 1)):
            t = time.perf_counter()
            theirs = _lifetimes_on(lifetimes_summary, tx, end)
            theirs_t.append(time.perf_counter() - t)
        cols = ["customer_id", "frequency", "recency", "T", "monetary_value"]
        pd.testing.assert_frame_equal(ours[cols], theirs[cols], check_dtype=False, rtol=1e-9)
        # the same rows from a Parquet file: the engine reads it itself, lifetimes via pandas
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tx.parquet"
            tx.to_parquet(path, index=False)
            file_ours, file_theirs = [], []
            for _ in range(repeat):
                t = time.perf_counter()
                src = con.read_parquet(path)
                ours_f = engine.to_frame(con, engine.transaction_summary(src, end))
                file_ours.append(time.perf_counter() - t)
            for _ in range(max(1, repeat if n <= 1_000_000 else 1)):
                t = time.perf_counter()
                theirs_f = _lifetimes_on(lifetimes_summary, pd.read_parquet(path), end)
                file_theirs.append(time.perf_counter() - t)
        pd.testing.assert_frame_equal(ours_f[cols], theirs_f[cols], check_dtype=False, rtol=1e-9)
        pd.testing.assert_frame_equal(ours_f[cols], ours[cols])
        row = {
            "benchmark": "transaction summaries",
            "transactions": n,
            "customers": int(tx["customer_id"].nunique()),
            "churnreport_s": statistics.median(ours_t),
            "lifetimes_s": statistics.median(theirs_t),
            "speedup": statistics.median(theirs_t) / statistics.median(ours_t),
            "from_parquet_churnreport_s": statistics.median(file_ours),
            "from_parquet_lifetimes_s": statistics.median(file_theirs),
            "from_parquet_speedup": statistics.median(file_theirs) / statistics.median(file_ours),
            "identical": True,
        }
        rows.append(row)
        print(f"  {row}", flush=True)


def prepare_slope(sizes: list[int], rows: list[dict]) -> None:
    xs, ys = [], []
    for n in sizes:
        cfg = sample(n)
        code = (
            "import time; from churnreport.config import load_config;"
            "from churnreport.data.load import load_dataset;"
            f"c = load_config({str(cfg)!r}); t = time.perf_counter(); load_dataset(c);"
            "print(time.perf_counter() - t)"
        )
        times, peaks = [], []
        for _ in range(3 if n <= 200_000 else 1):
            _, peak, status, stdout = measure([PY, "-c", code])
            if status != 0:
                raise SystemExit(f"prepare step at {n:,} customers failed (exit {status})")
            times.append(float(stdout.strip().splitlines()[-1]))
            peaks.append(peak)
        tx = transactions_in(cfg)
        xs.append(tx)
        ys.append(statistics.median(times))
        rows.append(
            {
                "benchmark": "prepare step",
                "customers": n,
                "transactions": tx,
                "median_s": ys[-1],
                "peak_rss_gb": max(peaks),
            }
        )
        print(f"  {rows[-1]}", flush=True)
    slope = float(np.polyfit(np.log(xs), np.log(ys), 1)[0])
    rows.append({"benchmark": "prepare step log-log slope", "slope": slope})
    print(f"  slope {slope:.2f}", flush=True)


def large_csv(rows: list[dict]) -> None:
    """Load the catalogue's 250 MB line-item CSV block by block, against reading it whole."""
    sys.path.insert(0, str(ROOT))
    from tests.data.test_catalogue import base_customers, write_large_transactions

    folder = DATA / "large_csv"
    if not (folder / "transactions.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        base_customers().to_csv(folder / "customers.csv", index=False)
        write_large_transactions(folder)
    cfg = folder / "report.yml"
    cfg.write_text(
        "name: large\nas_of: 2024-12-31\nsources:\n  customers: {path: customers.csv}\n"
        "  transactions: {path: transactions.csv}\n"
    )
    size = (folder / "transactions.csv").stat().st_size
    blocked = (
        "import time; from churnreport.config import load_config;"
        "from churnreport.data.load import load_dataset;"
        f"c = load_config({str(cfg)!r}); t = time.perf_counter(); load_dataset(c);"
        "print(time.perf_counter() - t)"
    )
    whole = (  # what a whole read costs: the file as one pandas table, then the contract
        "import time; from churnreport.config import load_config;"
        "from churnreport.data.contract import conform; from churnreport.data.quality import "
        "DataQuality; from churnreport.data.sources import read_source;"
        f"c = load_config({str(cfg)!r}); t = time.perf_counter();"
        f"raw = read_source({str(folder / 'transactions.csv')!r});"
        "conform(raw, 'transactions', c.sources['transactions'], ['customer_id', 'date'], "
        "DataQuality()); print(time.perf_counter() - t)"
    )
    for name, code in (("in blocks (load_dataset)", blocked), ("whole (read + check only)", whole)):
        _, peak, status, stdout = measure([PY, "-c", code])
        if status != 0:
            raise SystemExit(f"large CSV {name} failed (exit {status})")
        rows.append(
            {
                "benchmark": "large CSV",
                "read": name,
                "file_mb": round(size / 1e6),
                "seconds": float(stdout.strip().splitlines()[-1]),
                "peak_rss_gb": peak,
            }
        )
        print(f"  {rows[-1]}", flush=True)


def machine() -> dict:
    import duckdb
    import ibis
    import papermill

    import churnreport

    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "commit": git,
        "cpu": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "python": platform.python_version(),
        "versions": {
            "churnreport": churnreport.__version__ if hasattr(churnreport, "__version__") else "",
            "pandas": pd.__version__,
            "duckdb": duckdb.__version__,
            "ibis": ibis.__version__,
            "papermill": papermill.__version__,
        },
    }


def to_markdown(info: dict, rows: list[dict]) -> str:
    lines = [
        f"# Benchmark results {info['date']}",
        "",
        "```",
        json.dumps(info, indent=2),
        "```",
        "",
    ]
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["benchmark"].split(" ")[0], []).append(r)
    for group in by_kind.values():
        keys = list(dict.fromkeys(k for r in group for k in r))
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in group:
            cells = []
            for k in keys:
                v = r.get(k, "")
                cells.append(
                    f"{v:,}"
                    if isinstance(v, int) and not isinstance(v, bool)
                    else f"{v:.2f}"
                    if isinstance(v, float)
                    else str(v)
                )
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 500_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--summary-rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument(
        "--prepare-sizes", type=int, nargs="+", default=[20_000, 60_000, 180_000, 500_000]
    )
    ap.add_argument("--snapshot-rows", type=int, nargs="+", default=[3_150, 10_000])
    #: Each benchmark: its title and how it runs from the arguments.
    benchmarks = {
        "e2e": ("end-to-end runs", lambda a, r: end_to_end(a.sizes, a.repeat, r)),
        "snapshot": ("snapshot exports", lambda a, r: snapshots(a.snapshot_rows, a.repeat, r)),
        "help": ("churn-report --help", lambda a, r: cli_help(a.repeat, r)),
        "summaries": (
            "transaction summaries vs lifetimes",
            lambda a, r: summaries(a.summary_rows, a.repeat, r),
        ),
        "prepare": ("prepare step", lambda a, r: prepare_slope(a.prepare_sizes, r)),
        "large-csv": ("large CSV", lambda a, r: large_csv(r)),
    }
    ap.add_argument("--only", nargs="+", choices=list(benchmarks), default=list(benchmarks))
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    info = machine()
    for name in (n for n in benchmarks if n in args.only):  # always in this order
        title, run = benchmarks[name]
        print(title, flush=True)
        run(args, rows)
    md = to_markdown(info, rows)
    stamp = info["date"].replace(":", "")  # 2026-11-23T0512: a rerun the same day keeps both
    out = RESULTS / f"{stamp}-{'-'.join(args.only)}.md"
    out.write_text(md + "\n", encoding="utf-8")
    print(md)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
