"""What a notebook opens first: config, data, language and the metrics recorder.

A notebook run by the runner receives ``prepared_dir`` (validated tables cached as Parquet) and
``output_dir`` (where recorded metrics go); run interactively, it loads the data itself and
records nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from churnreport.analysis.chapter import (
    CauseChapter,
    IndicatorChapter,
    SegmentChapter,
    cause_chapter,
    indicator_chapter,
    segment_chapter,
)
from churnreport.config import ReportConfig, load_config
from churnreport.data import Dataset, load_dataset, read_tables
from churnreport.data.taxonomy import load_reason_mapping
from churnreport.report.charts import apply_theme
from churnreport.report.text import Text


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
    """

    config: ReportConfig
    data: Dataset
    text: Text
    metrics_dir: Path | None = None

    def indicator_chapter(self) -> IndicatorChapter:
        """Chapter 1 for this run's data and config, its metrics recorded."""
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
        )
        for key, value in chapter.metrics().items():
            self.record(key, value)
        return chapter

    def cause_chapter(self) -> CauseChapter:
        """Chapter 2 for this run's data and config, its metrics recorded."""
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
            attributes=cfg.driver_attributes(),
            slow_hours=cfg.drivers.slow_response_hours,
        )
        for key, value in chapter.metrics().items():
            self.record(key, value)
        return chapter

    def segment_chapter(self) -> SegmentChapter:
        """Chapter 3 for this run's data and config, its metrics recorded."""
        cfg, data = self.config, self.data
        chapter = segment_chapter(
            data.spells,
            data.customers,
            period=cfg.period,
            as_of=data.as_of,
            definition=data.definition,
            segments=cfg.segments,
            revenue=data.tables.get("revenue"),
            transactions=data.tables.get("transactions"),
            tenure_bands=tuple(cfg.segment_options.tenure_bands),
            abc_shares=cfg.segment_options.abc_customer_shares,
        )

        for key, value in chapter.metrics().items():
            self.record(key, value)
        return chapter

    def record(self, key: str, value: object) -> None:
        """Store one metrics.json entry (a dict, a dataclass with ``to_dict`` or a DataFrame)."""
        if self.metrics_dir is None:
            return
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        (self.metrics_dir / f"{key}.json").write_text(
            json.dumps(to_jsonable(value), ensure_ascii=False, indent=1), encoding="utf-8"
        )


def open_report(
    config_path: str,
    *,
    as_of: str = "",
    language: str = "",
    prepared_dir: str = "",
    output_dir: str = "",
) -> ReportContext:
    """Open a report for a notebook: load config and data, set the chart theme.

    Parameters
    ----------
    config_path : str
        The report YAML.
    as_of : str
        Report date override (``YYYY-MM-DD``), empty for the config's or the data's.
    language : str
        ``en`` or ``zh`` override, empty for the config's.
    prepared_dir : str
        Cached canonical tables written by the runner; empty to load the sources.
    output_dir : str
        Directory for metrics fragments; empty to record nothing.

    Returns
    -------
    ReportContext
    """
    config = load_config(config_path, as_of=as_of or None, language=language or None)
    data = read_tables(Path(prepared_dir)) if prepared_dir else load_dataset(config)
    apply_theme(config.language)
    return ReportContext(
        config,
        data,
        Text(config.language, config.currency),
        Path(output_dir) / "metrics" if output_dir else None,
    )


def to_jsonable(value: object) -> object:
    """Convert results to JSON values: NaN -> null, dates -> ISO text, frames -> records."""
    if hasattr(value, "to_dict") and not isinstance(value, (pd.DataFrame, pd.Series, dict)):
        value = value.to_dict()
    if isinstance(value, pd.DataFrame):
        value = value.to_dict(orient="records")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return None if pd.isna(value) else value.isoformat()[:10]
    if value is pd.NaT or value is pd.NA:
        return None
    return value
