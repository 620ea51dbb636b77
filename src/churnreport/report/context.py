"""What a notebook opens first: config, data, language and the metrics recorder.

A notebook run by the runner receives ``prepared_dir`` (validated tables cached as Parquet) and
``output_dir`` (where recorded metrics go); run interactively, it loads the data itself and
records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import BaseModel

from churnreport.analysis.results import CHAPTER_RESULTS, Metrics, SummaryResult, jsonable
from churnreport.config import ReportConfig, load_config
from churnreport.data import Dataset, load_dataset, read_tables
from churnreport.data.profile import data_profile
from churnreport.data.taxonomy import load_reason_mapping
from churnreport.report.notebooks import NOTEBOOKS_DIR
from churnreport.report.text import Text

if TYPE_CHECKING:
    from churnreport.analysis.chapter import CauseChapter, IndicatorChapter, SegmentChapter
    from churnreport.analysis.early_warning import EarlyWarningChapter

# The chapters' analysis (statsmodels, lifelines, scikit-learn) and the charts (matplotlib) are
# imported by the methods that need them: a notebook that only reads recorded results (the
# summary, the appendix) starts in a fraction of the time.


@dataclass
class ReportContext:
    """Config, data and language of one notebook run.

    Attributes
    ----------
    config : ReportConfig
    data : Dataset
    text : Text
        Strings and formats of the report language.
    metrics_dir : Path or None
        Where :meth:`record` writes; None when run interactively.
    files_by_command : bool
        The command running the report writes the shared tables (at_risk.csv / .xlsx) from
        what the notebook hands over (:func:`~churnreport.report.shared_files.hand_over_table_files`),
        beside its export; otherwise the notebook writes them.
    """

    config: ReportConfig
    data: Dataset
    text: Text
    metrics_dir: Path | None = None
    files_by_command: bool = False
    #: The at-risk list of the last chapter asked for (the files and the page share it).
    _at_risk: tuple[EarlyWarningChapter, pd.DataFrame] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def indicator_chapter(self) -> IndicatorChapter:
        """Chapter 1 for this run's data and config, its metrics recorded."""
        from churnreport.analysis.chapter import indicator_chapter

        cfg, data = self.config, self.data
        chapter = indicator_chapter(
            data.spells,
            data.customers,
            data.tables.get("revenue"),
            period=cfg.period,
            as_of=data.as_of,
            definition=data.definition,
            margin=cfg.margin,
            alerts=cfg.alerts.model_dump(),
            first_day=data.observed_from,
        )
        self.record("indicators", chapter.result())
        return chapter

    def backend(self) -> str:
        """Where the chapters' queries run (the config's ``engine``); for ``spark`` the
        session is started here, with the config's settings, by the first chapter that
        queries (a notebook that never queries starts no Spark)."""
        if self.config.engine == "spark":
            from churnreport.data.engine import start_spark

            start_spark(self.config.spark_settings())
        return self.config.engine

    def driver_attributes(self) -> list[str]:
        """The driver and risk models' customer attributes: the config's (usual columns,
        segments, ``drivers.include``), and, when ``drivers.include`` names none, every
        column of the export ``churn-report init`` would offer (never one that records the
        outcome), less ``drivers.exclude``."""
        from churnreport.data.infer import driver_candidates

        cfg = self.config
        chosen = cfg.driver_attributes()
        if cfg.drivers.include:
            return chosen
        extra, _ = driver_candidates(self.data.customers, taken=chosen)
        return chosen + [c for c in extra if c not in cfg.drivers.exclude]

    def cause_chapter(self) -> CauseChapter:
        """Chapter 2 for this run's data and config, its metrics recorded."""
        from churnreport.analysis.chapter import cause_chapter

        cfg, data = self.config, self.data
        chapter = cause_chapter(
            data.spells,
            data.customers,
            mapping=load_reason_mapping(cfg.resolved_reason_mapping()),
            period=cfg.period,
            as_of=data.as_of,
            definition=data.definition,
            revenue=data.tables.get("revenue"),
            tickets=data.tables.get("tickets"),
            staff=data.tables.get("staff"),
            segments=cfg.segments,
            attributes=self.driver_attributes(),
            slow_hours=cfg.drivers.slow_response_hours,
            first_day=data.observed_from,
            backend=self.backend(),
        )
        self.record("causes", chapter.result())
        return chapter

    def segment_chapter(self) -> SegmentChapter:
        """Chapter 3 for this run's data and config, its metrics recorded."""
        from churnreport.analysis.chapter import segment_chapter

        cfg, data = self.config, self.data
        chapter = segment_chapter(
            data.spells,
            data.customers,
            period=cfg.period,
            as_of=data.as_of,
            definition=data.definition,
            segments=cfg.segments,
            revenue=data.tables.get("revenue"),
            tables=data.tables,
            tenure_bands=cfg.segment_options.tenure_edges(cfg.churn.tenure_unit),
            abc_shares=cfg.segment_options.abc_customer_shares,
            first_day=data.observed_from,
            backend=self.backend(),
        )
        self.record("segments", chapter.result())
        return chapter

    def early_warning_chapter(self) -> EarlyWarningChapter:
        """Chapter 4 for this run's data and config, its metrics recorded; in a run, also
        writes predictions.parquet and at_risk.csv / at_risk.xlsx to the run directory (or
        hands the list over to the command that writes them: ``files_by_command``)."""
        from churnreport.analysis.early_warning import early_warning_chapter
        from churnreport.analysis.risk import forecast_check
        from churnreport.report.shared_files import (
            find_previous_predictions,
            hand_over_table_files,
            mask_ids,
            write_table_files,
        )
        from churnreport.report.warning_view import file_headers, workbook_sentence

        cfg, data = self.config, self.data
        ew = cfg.early_warning
        previous = find_previous_predictions(cfg.resolved_output_dir(), cfg.name, data.as_of)
        masked = cfg.pii == "mask"
        chapter = early_warning_chapter(
            data.spells,
            data.customers,
            period=cfg.period,
            as_of=data.as_of,
            definition=data.definition,
            tables=data.tables,
            attributes=self.driver_attributes(),
            window_days=ew.window_days,
            slow_hours=cfg.drivers.slow_response_hours,
            train_snapshots=ew.train_snapshots,
            test_snapshots=ew.test_snapshots,
            tier_shares=cfg.winback.tier_shares,
            previous=None if masked else previous,
            bad_standing=cfg.winback.bad_standing,
            first_day=data.observed_from,
            backend=self.backend(),
        )
        if masked and previous is not None and data.definition != "snapshot":
            made_on = pd.Timestamp(previous["as_of"].iloc[0]).date()
            horizon_end = pd.Timestamp(previous["horizon_end"].iloc[0]).date()
            spells = data.spells.assign(
                customer_id=mask_ids(data.spells["customer_id"], self._key())
            )
            check = forecast_check(previous, spells, made_on, horizon_end)
            chapter = replace(chapter, previous_check=check)
        self.record("early_warning", chapter.result())
        if self.metrics_dir is not None and not chapter.why_not:
            run_dir = self.metrics_dir.parent
            rows = self.at_risk_rows(chapter)
            write = hand_over_table_files if self.files_by_command else write_table_files
            write(
                file_headers(rows, self.text),
                run_dir,
                "at_risk",
                self.text("warning.list"),
                workbook_rows=ew.workbook_rows,
                workbook_note=(
                    self.text("warning.workbook_sheet"),
                    workbook_sentence(
                        len(rows), ew.workbook_rows, chapter.value_basis != "none", self.text
                    ),
                ),
            )
            predictions = chapter.predictions(data.as_of)
            if masked:
                predictions["customer_id"] = mask_ids(predictions["customer_id"], self._key())
            predictions.to_parquet(run_dir / "predictions.parquet", index=False)
        return chapter

    def at_risk_rows(self, chapter: EarlyWarningChapter) -> pd.DataFrame:
        """The at-risk list as shared (report language; ids masked under ``pii: mask``)."""
        if self._at_risk is not None and self._at_risk[0] is chapter:
            return self._at_risk[1].copy()
        from churnreport.report.shared_files import mask_ids, name_like_columns
        from churnreport.report.warning_view import at_risk_rows

        customers = self.data.customers
        masked = self.config.pii == "mask"
        names = [] if masked else name_like_columns(list(customers.columns))
        extra = [*names, *[s for s in self.config.segments if s not in names]]
        rows = at_risk_rows(
            chapter,
            customers,
            self.text,
            window_days=self.config.early_warning.window_days,
            extra_columns=extra,
        )
        if masked and not rows.empty:
            rows = rows.drop(columns=name_like_columns(list(rows.columns)))
            rows["customer_id"] = mask_ids(rows["customer_id"], self._key())
        self._at_risk = (chapter, rows)
        return rows.copy()

    def _key(self) -> bytes:
        from churnreport.report.shared_files import pii_key

        return pii_key(self.config.resolved_output_dir())

    def summary(self) -> SummaryResult:
        """The executive summary from the chapters' results, recorded as ``summary``.

        In a run the chapters have recorded their results already (the summary notebook runs
        last); run interactively, the chapters are computed here first.

        Returns
        -------
        SummaryResult
        """
        from churnreport.report.summary_view import build_summary

        mapping = load_reason_mapping(self.config.resolved_reason_mapping())
        labels = {n: getattr(c, self.text.language) for n, c in mapping.categories.items()}
        hours = self.config.drivers.slow_response_hours
        rows = self.config.early_warning.workbook_rows
        s = build_summary(self.results(), self.text, labels, hours, rows)
        self.record("summary", s)
        return s

    def results(self) -> Metrics:
        """Every chapter's typed result: the one its notebook recorded (a run), or computed
        now (opened interactively, or a chapter not run yet).

        Returns
        -------
        Metrics
            Without ``summary``.
        """
        cfg, data = self.config, self.data
        header = {
            "run_id": "",
            "as_of": data.as_of,
            "period": cfg.period,
            "definition": data.definition,
            "language": self.text.language,
            "company": cfg.company,
            "currency": cfg.currency,
            "profile": data_profile(data),
            "data_quality": data.quality.to_dict(),
        }
        quiet = replace(self, metrics_dir=None)  # what is computed here is not recorded
        compute = {
            "indicators": quiet.indicator_chapter,
            "causes": quiet.cause_chapter,
            "segments": quiet.segment_chapter,
            "early_warning": quiet.early_warning_chapter,
        }
        chapters = {}
        for key, chapter in compute.items():
            frag = self.metrics_dir / f"{key}.json" if self.metrics_dir is not None else None
            if frag is not None and frag.is_file():
                text = frag.read_text(encoding="utf-8")
                chapters[key] = CHAPTER_RESULTS[key].model_validate_json(text)
            else:
                chapters[key] = chapter().result()
        return Metrics.model_validate(jsonable(header) | chapters)

    def record(self, key: str, value: BaseModel) -> None:
        """Store one chapter's typed result as a metrics.json fragment.

        Parameters
        ----------
        key : str
            Its metrics.json entry (``indicators``, ``causes``, ...).
        value : BaseModel
            The typed result; nothing is written when run interactively.
        """
        if self.metrics_dir is None:
            return
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        (self.metrics_dir / f"{key}.json").write_text(
            value.model_dump_json(indent=1), encoding="utf-8"
        )


def resolve_config_path(config_path: str) -> Path:
    """A notebook's ``config_path``: as given when it exists (absolute, or relative to the
    working directory: in Jupyter, the notebook's folder), else relative to the report
    notebooks' folder (papermill run from another directory).

    Parameters
    ----------
    config_path : str

    Returns
    -------
    Path
        The path to load (the given one when neither exists: its error names it).
    """
    given = Path(config_path)
    if given.is_absolute() or given.exists():
        return given
    beside = NOTEBOOKS_DIR / given
    return beside.resolve() if beside.exists() else given


def open_report(
    config_path: str,
    *,
    as_of: str = "",
    language: str = "",
    prepared_dir: str = "",
    output_dir: str = "",
) -> ReportContext:
    """Open a report for a notebook: load config and data (the chart theme is set by the
    first chart drawn, in its language).

    Parameters
    ----------
    config_path : str
        The report YAML; a relative path as :func:`resolve_config_path` reads it.
    as_of : str
        Report date override (``YYYY-MM-DD``), empty for the config's or the data's.
    language : str
        ``en`` or ``zh`` override, empty for the config's.
    prepared_dir : str
        Cached canonical tables written by the command running the report (which then also
        writes the shared tables the notebook hands over: ``files_by_command``); empty to
        load the sources.
    output_dir : str
        Directory for metrics fragments; empty to record nothing.

    Returns
    -------
    ReportContext
    """
    config = load_config(
        resolve_config_path(config_path), as_of=as_of or None, language=language or None
    )
    data = read_tables(Path(prepared_dir)) if prepared_dir else load_dataset(config)
    return ReportContext(
        config,
        data,
        Text(config.language, config.currency),
        Path(output_dir) / "metrics" if output_dir else None,
        files_by_command=bool(prepared_dir),
    )
