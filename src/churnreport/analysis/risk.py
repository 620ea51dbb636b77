"""Who will leave next: a churn-risk model, its honest backtest, scores and reason codes.

- Training rows are customers active at past period ends (snapshots), each with the features
  of :mod:`churnreport.analysis.features` on that date and the label "left within the next
  period". The backtest trains on earlier snapshots and tests on the latest labelled ones
  (never a random split: a model is used on the future). Snapshot exports (one date) cannot be
  split in time; there a stratified 5-fold cross-validation gives a clearly labelled estimate.
- Two models on one design matrix: an L2-regularised logistic regression (interpretable) and
  scikit-learn's HistGradientBoosting. The one with the higher test ROC AUC scores today's
  customers unless its calibration is poor (mean predicted / observed rate outside 2/3-3/2
  while the other's is inside).
- Reason codes are model-agnostic: a feature's contribution for a customer is how much the
  probability falls when that feature alone is set to its typical value (median, most common
  level); the three largest positive ones are the customer's reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from churnreport.analysis.features import active_on, churn_label, features_on
from churnreport.analysis.indicators import holm_adjusted
from churnreport.analysis.results import is_value_column
from churnreport.analysis.segments import distinct_values
from churnreport.periods import complete_periods

MAX_LEVELS = 12
SKEW_LIMIT = 1.0
MIN_CHURNERS = 20
CALIBRATION_BAND = (2 / 3, 3 / 2)
MIN_CONTRIBUTION = 0.001
#: What a customer pays is a consequence of being a customer, never a reason to leave.
VALUE_FEATURES = frozenset({"mrr", "monthly_revenue", "spend_window", "amount", "annual_value"})
MODELS = ("logistic", "gradient_boosting")
#: A training panel's columns that are no features: the label and the snapshot date.
PANEL_COLUMNS = ("_y", "_date")
#: Which cause a feature points to (DOMAIN.md sections 5 and 6), for recommended actions.
FEATURE_CAUSE = {
    "complaints_window": "service",
    "slow_responses_window": "service",
    "response_hours_mean": "service",
    "low_satisfaction_window": "service",
    "tickets_window": "service",
    "manager_left_window": "employee",
    "mrr_change": "price",
    "recency_days": "engagement",
    "purchases_window": "engagement",
    "spend_window": "engagement",
    "spend_trend": "engagement",
    "tenure_months": "onboarding",
    "returning": "engagement",
}


@dataclass
class Design:
    """Preprocessing fitted on training rows, applied unchanged to any later rows.

    Numeric features: missing -> training median, log1p when non-negative and skewed,
    standardised. Categorical features: the most common levels as dummies (the rest pooled as
    "(other)", missing as "(missing)"), against the most common level.
    """

    numeric: list[str]
    categorical: list[str]
    medians: dict[str, float] = field(default_factory=dict)
    logged: set[str] = field(default_factory=set)
    centre: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    levels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        """Raw feature names in design order."""
        return [*self.numeric, *self.categorical]

    def typical(self) -> dict[str, object]:
        """The reference value of each feature: median or most common level."""
        out: dict[str, object] = {n: self.medians[n] for n in self.numeric}
        out.update({c: self.levels[c][0] for c in self.categorical})
        return out

    def transform(self, frame: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
        """Design matrix of ``frame`` (columns: numerics, then dummies).

        ``rows`` (a boolean mask or positions) picks the rows one column at a time, so a
        training panel is never copied whole; the matrix is filled in place, not stacked
        from a list of columns.
        """
        out = np.empty((_row_count(frame, rows), self.columns_count()))
        at_column = 0
        for n in self.numeric:
            x = pd.to_numeric(_rows(frame[n], rows), errors="coerce").astype(float)
            x = x.fillna(self.medians[n])
            if n in self.logged:
                x = np.log1p(x.clip(lower=0))
            out[:, at_column] = ((x - self.centre[n]) / self.scale[n]).to_numpy()
            at_column += 1
        for c in self.categorical:
            codes, labels = _distinct_labels(_rows(frame[c], rows), self.levels[c])
            # each row's position among the levels (compared as integers, not as text)
            at = pd.Index(self.levels[c]).get_indexer(labels)[codes]
            for j in range(1, len(self.levels[c])):
                out[:, at_column] = at == j
                at_column += 1
        return out

    def columns_count(self) -> int:
        """Width of the design matrix."""
        return len(self.numeric) + sum(len(self.levels[c]) - 1 for c in self.categorical)

    def columns(self) -> dict[str, slice]:
        """Where each raw feature sits in the design matrix (a numeric one column, a
        categorical one column per dummy)."""
        out, at = {}, 0
        for n in self.numeric:
            out[n], at = slice(at, at + 1), at + 1
        for c in self.categorical:
            width = len(self.levels[c]) - 1
            out[c], at = slice(at, at + width), at + width
        return out


def _distinct_labels(
    values: pd.Series, known: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the rows and the level of each code: its text, "(missing)" (code -1,
    the last label), or "(other)" when not ``known``.

    The distinct values are turned into text once (a column holds few levels and many rows).
    """
    codes, uniques = distinct_values(values)
    labels = pd.Series(uniques).astype("string")
    labels = pd.concat([labels, pd.Series([pd.NA], dtype="string")], ignore_index=True)
    labels = labels.fillna("(missing)")
    if known is not None:
        labels = labels.where(labels.isin(known), "(other)")
    return codes, labels.to_numpy(dtype=object)


def _levels(values: pd.Series, known: list[str] | None = None) -> pd.Series:
    """Each value as its level: its text, "(missing)", or "(other)" when not ``known``."""
    codes, labels = _distinct_labels(values, known)
    return pd.Series(labels[codes], index=values.index, dtype=object)


def _row_count(frame: pd.DataFrame, rows: np.ndarray | None) -> int:
    """How many rows ``rows`` (None: all, a boolean mask, or positions) picks."""
    if rows is None:
        return len(frame)
    rows = np.asarray(rows)
    return int(rows.sum()) if rows.dtype == bool else len(rows)


def _rows(values: pd.Series, rows: np.ndarray | None) -> pd.Series:
    """The ``rows`` (None: all, a boolean mask, or positions) of one column."""
    return values if rows is None else values.iloc[rows]


def fit_design(frame: pd.DataFrame, rows: np.ndarray | None = None) -> Design:
    """Fit the preprocessing of every usable column of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        Feature columns; a training panel's label and date (``PANEL_COLUMNS``) are skipped.
    rows : ndarray, optional
        The rows to fit on, a boolean mask or positions (all when None). Each column is
        picked on its own, so a panel is not copied whole.

    Returns
    -------
    Design
        Constant columns are left out.
    """
    numeric, categorical, counts, picked = [], [], {}, {}
    for c in frame.columns:
        if c in PANEL_COLUMNS:
            continue
        s = _rows(frame[c], rows)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            if s.nunique(dropna=True) >= 2:
                numeric.append(c)
                picked[c] = s
            continue
        counts[c] = _levels(s).value_counts()
        if len(counts[c]) >= 2:
            categorical.append(c)
    d = Design(numeric, categorical)
    for n in numeric:
        x = pd.to_numeric(picked.pop(n), errors="coerce").astype(float)
        d.medians[n] = float(x.median())
        x = x.fillna(d.medians[n])
        if x.min() >= 0 and abs(float(x.skew())) > SKEW_LIMIT:
            d.logged.add(n)
            x = np.log1p(x)
        d.centre[n] = float(x.mean())
        d.scale[n] = float(x.std()) or 1.0
    for c in categorical:
        keep = list(counts[c].index[:MAX_LEVELS])
        if len(counts[c]) > MAX_LEVELS:
            keep.append("(other)")
        d.levels[c] = [str(k) for k in keep]
    return d


def make_model(kind: str):
    """An unfitted model: ``logistic`` (L2, C=1) or ``gradient_boosting``."""
    if kind == "logistic":
        return LogisticRegression(C=1.0, max_iter=2000)
    if kind == "gradient_boosting":
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=300,
            max_leaf_nodes=15,
            min_samples_leaf=100,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.15,
            random_state=0,
        )
    raise ValueError(f"unknown model {kind!r}")


def evaluate(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict:
    """Discrimination and calibration of probabilities ``p`` for outcomes ``y``.

    Parameters
    ----------
    y : array of 0/1
    p : array of probabilities
    bins : int
        Quantile bins of ``p`` for the calibration table.

    Returns
    -------
    dict
        n, churners, base_rate, auc (ROC), pr_auc (average precision), top_decile_lift (churn
        rate of the riskiest 10% over the overall rate), brier, calibration_ratio (mean predicted
        / observed rate), calibration (list of {predicted, observed, n} per bin, lowest first).
        AUCs are None when only one class is present.
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    n = len(y)
    base = float(y.mean()) if n else float("nan")
    order = np.argsort(-p, kind="stable")
    top = max(int(np.ceil(0.10 * n)), 1)
    both = 0 < y.sum() < n
    cal = pd.DataFrame({"y": y, "p": p})
    cal["bin"] = pd.qcut(cal["p"].rank(method="first"), min(bins, n), labels=False)
    table = cal.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"), n=("y", "size"))
    return {
        "n": n,
        "churners": int(y.sum()),
        "base_rate": base,
        "auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "top_decile_lift": float(y[order[:top]].mean() / base) if base > 0 else None,
        "brier": float(brier_score_loss(y, p)),
        "calibration_ratio": float(p.mean() / base) if base > 0 else None,
        "calibration": table.to_dict(orient="records"),
    }


def snapshot_dates(as_of: dt.date, period: str, first_day: dt.date, n: int) -> list[tuple]:
    """The latest ``n`` period ends whose next period is complete by ``as_of``.

    Returns
    -------
    list of (snapshot_date, horizon_end), oldest first.
    """
    periods = complete_periods(first_day, as_of, period)
    ends = [p.end_time.date() for p in periods]
    pairs = list(zip(ends[:-1], ends[1:], strict=True))
    return pairs[-n:]


def training_panel(
    spells: pd.DataFrame,
    customers: pd.DataFrame,
    snapshots: list[tuple],
    **feature_args,
) -> pd.DataFrame:
    """Features and labels of the customers active at each snapshot.

    Returns
    -------
    DataFrame
        Feature columns plus ``_date`` (snapshot) and ``_y`` (left by the horizon end).
    """
    parts = []
    features = features_on(spells, customers, [d for d, _ in snapshots], **feature_args)
    for date, horizon_end in snapshots:
        f = features[date]
        y = churn_label(spells, date, horizon_end).reindex(f.index)
        parts.append(f.assign(_date=pd.Timestamp(date), _y=y.to_numpy()))
    return pd.concat(parts) if parts else pd.DataFrame()


@dataclass
class Backtest:
    """How the models did on data they had not seen.

    Attributes
    ----------
    method : str
        ``time_split`` or ``cross_validation`` (snapshot data, or too little history).
    results : dict
        Model kind -> :func:`evaluate` output on the test rows.
    chosen : str
        Model that scores current customers.
    choice_reason : str
        ``auc`` or ``calibration`` (the higher-AUC model was poorly calibrated).
    train_until, test_from : date or None
        Last training snapshot and first test snapshot (time split).
    train_rows, test_rows : int
    why_no_time_split : str
        ``snapshot`` or ``short_history`` when the method is cross-validation.
    """

    method: str
    results: dict
    chosen: str
    choice_reason: str
    train_until: dt.date | None
    test_from: dt.date | None
    train_rows: int
    test_rows: int
    why_no_time_split: str = ""


def _fit_predict(design: Design, panel: pd.DataFrame, train: np.ndarray, test: np.ndarray) -> dict:
    """Each model's probabilities on the ``test`` rows of ``panel`` after fitting on its
    ``train`` rows (masks or positions; both transformed once for all models)."""
    x_train, y_train = design.transform(panel, train), panel["_y"].to_numpy()[train]
    x_test = design.transform(panel, test)
    return {k: make_model(k).fit(x_train, y_train).predict_proba(x_test)[:, 1] for k in MODELS}


def choose_model(results: dict) -> tuple[str, str]:
    """Higher AUC wins unless it is poorly calibrated and the other is not."""
    ranked = sorted(MODELS, key=lambda k: -(results[k]["auc"] or 0.0))
    best, other = ranked

    def calibrated(k):
        r = results[k]["calibration_ratio"]
        return r is not None and CALIBRATION_BAND[0] <= r <= CALIBRATION_BAND[1]

    if not calibrated(best) and calibrated(other):
        return other, "calibration"
    return best, "auc"


def run_backtest(panel: pd.DataFrame, test_snapshots: int, snapshot: bool) -> Backtest:
    """Backtest both models on ``panel`` (:func:`training_panel` or a snapshot frame).

    Parameters
    ----------
    panel : DataFrame
        Features, ``_y`` and ``_date``.
    test_snapshots : int
        Latest snapshots held out (time split).
    snapshot : bool
        One-date data: cross-validation only.

    Returns
    -------
    Backtest
    """
    dates = sorted(panel["_date"].unique())
    why = "snapshot" if snapshot else ""
    if not snapshot:
        test_dates = dates[-test_snapshots:]
        is_test = panel["_date"].isin(test_dates).to_numpy()
        y = panel["_y"].to_numpy()
        if (
            len(dates) > test_snapshots
            and y[~is_test].sum() >= MIN_CHURNERS
            and y[is_test].sum() >= MIN_CHURNERS
        ):
            predicted = _fit_predict(fit_design(panel, ~is_test), panel, ~is_test, is_test)
            results = {k: evaluate(y[is_test], p) for k, p in predicted.items()}
            chosen, reason = choose_model(results)
            return Backtest(
                "time_split",
                results,
                chosen,
                reason,
                pd.Timestamp(panel["_date"].to_numpy()[~is_test].max()).date(),
                pd.Timestamp(min(test_dates)).date(),
                int((~is_test).sum()),
                int(is_test.sum()),
            )
        why = "short_history"
    y = panel["_y"].to_numpy()
    oof = {k: np.zeros(len(panel)) for k in MODELS}
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for tr, te in folds.split(np.zeros(len(y)), y):
        predicted = _fit_predict(fit_design(panel, tr), panel, tr, te)
        for k in MODELS:
            oof[k][te] = predicted[k]
    results = {k: evaluate(y, oof[k]) for k in MODELS}
    chosen, reason = choose_model(results)
    return Backtest(
        "cross_validation", results, chosen, reason, None, None, len(panel), len(panel), why
    )


@dataclass
class RiskModel:
    """The chosen model refitted on every labelled row, ready to score."""

    kind: str
    design: Design
    model: object

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of leaving within the horizon for each row of ``frame``."""
        return self.model.predict_proba(self.design.transform(frame))[:, 1]


def fit_final(panel: pd.DataFrame, kind: str) -> RiskModel:
    """Fit ``kind`` on every row of ``panel``."""
    design = fit_design(panel)
    model = make_model(kind).fit(design.transform(panel), panel["_y"].to_numpy())
    return RiskModel(kind, design, model)


def feature_evidence(panel: pd.DataFrame, alpha: float = 0.05) -> dict[str, dict]:
    """Which features go with churn in the training data, and in which direction.

    Each feature is tested on its own against the label: a number by Spearman's rank
    correlation, anything else by a chi-square test of its levels; the p-values are
    Holm-corrected across features. A reason code may only name a significant feature, in the
    direction the data show (a larger value where larger values churn more, a level that
    churns more than the typical one).

    Parameters
    ----------
    panel : DataFrame
        Feature columns plus ``_y`` (and ``_date``), as trained on.
    alpha : float
        Significance level after correction.

    Returns
    -------
    dict
        feature -> {"significant": bool, "p_adjusted": float, "rho": float} for numbers, or
        {"significant", "p_adjusted", "rates": {level: churn rate}} for levels.
    """
    from scipy.stats import chi2_contingency, spearmanr

    y = panel["_y"].astype(int).to_numpy()
    out: dict[str, dict] = {}
    for f in panel.columns.drop(list(PANEL_COLUMNS), errors="ignore"):
        x = panel[f]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            # as numbers, without the panel's index: a Series handed to scipy looked its
            # text index up for every conversion (seconds at a 500,000-row panel)
            v = x.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(v)
            if ok.sum() < 3 or np.unique(v[ok]).size < 2 or len(set(y[ok])) < 2:
                out[f] = {"p": 1.0, "rho": 0.0}
                continue
            rho, p = spearmanr(v[ok], y[ok])
            out[f] = {"p": float(p), "rho": float(rho)}
        else:
            level = x.astype("string").fillna("(missing)").to_numpy()
            table = pd.crosstab(level, y)
            rates = (table.get(1, 0) / table.sum(axis=1)).to_dict()
            if table.shape[0] < 2 or table.shape[1] < 2:
                out[f] = {"p": 1.0, "rates": rates}
                continue
            p = chi2_contingency(table.to_numpy())[1]
            out[f] = {"p": float(p), "rates": rates}
    if out:
        adjusted = holm_adjusted([e["p"] for e in out.values()])
        for e, p_adj in zip(out.values(), adjusted, strict=True):
            e["p_adjusted"] = float(p_adj)
            e["significant"] = bool(p_adj < alpha)
            del e["p"]
    return out


def _raises(evidence: dict | None, value: object, typical: object) -> bool:
    """Whether the data say ``value`` churns more than ``typical`` (significantly)."""
    if evidence is None or not evidence["significant"]:
        return False
    if "rho" in evidence:
        try:
            return evidence["rho"] * (float(value) - float(typical)) > 0
        except (TypeError, ValueError):
            return False
    rates = evidence["rates"]
    missing = "(missing)"
    v = missing if pd.isna(value) else str(value)
    t = missing if pd.isna(typical) else str(typical)
    return rates.get(v, 0.0) > rates.get(t, 0.0)


def _backed(evidence: dict | None, values: pd.Series, typical: object) -> np.ndarray:
    """:func:`_raises` of each of ``values`` (a feature column) against ``typical``, as a
    mask: numbers compared at once, levels once per distinct level."""
    if evidence is None or not evidence["significant"]:
        return np.zeros(len(values), dtype=bool)
    if "rho" in evidence:
        try:
            t = float(typical)
        except (TypeError, ValueError):
            return np.zeros(len(values), dtype=bool)
        # a value float() refuses is never a reason (as in _raises): NaN compares false
        v = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            return evidence["rho"] * (v - t) > 0
    # a level is read by its text (as _raises does): 1, 1.0 and True stay apart; code -1,
    # missing, takes the last entry
    codes, levels = distinct_values(values)
    raised = [_raises(evidence, level, typical) for level in [*levels, pd.NA]]
    return np.array(raised, dtype=bool)[codes]


def reason_codes(
    model: RiskModel,
    frame: pd.DataFrame,
    top: int = 3,
    evidence: dict | None = None,
    scores: np.ndarray | None = None,
) -> pd.DataFrame:
    """The features that raise each customer's risk most (model-agnostic).

    A feature's contribution is the fall in the customer's probability when it alone is set
    to its typical value. With ``evidence`` (:func:`feature_evidence`), a reason must also be
    one the data support on their own: a significant feature, in its churn-raising direction.
    Value features (:data:`VALUE_FEATURES`, and money columns by name:
    :func:`~churnreport.analysis.results.is_value_column`) are never reasons.

    Parameters
    ----------
    model : RiskModel
    frame : DataFrame
        Feature rows (index = customer_id).
    top : int
        Reasons per customer.
    evidence : dict, optional
        :func:`feature_evidence` of the training panel.
    scores : ndarray, optional
        ``model.predict(frame)`` when the caller has it (the chapter scores the same rows):
        not predicted again (3.4 million current customers: 14 s).

    Returns
    -------
    DataFrame
        customer_id, rank (1 = strongest), feature, value, typical, contribution (fall in
        probability when the feature is set to its typical value); only contributions above
        0.1 percentage point.
    """
    design = model.design
    typical = design.typical()
    x = design.transform(frame)
    base = model.model.predict_proba(x)[:, 1] if scores is None else np.asarray(scores)
    # the typical customer's design row: a feature set to its typical value takes its columns
    x_typical = design.transform(pd.DataFrame({f: [v] for f, v in typical.items()}))[0]
    features = design.columns()
    names = np.array(list(features), dtype=object)
    money = set(VALUE_FEATURES) | {
        f for f in frame.columns if pd.api.types.is_numeric_dtype(frame[f]) and is_value_column(f)
    }
    contrib = np.zeros((len(frame), len(names)))
    for j, (f, cols) in enumerate(features.items()):
        if f in money:  # never a reason: not predicted
            continue
        # only rows whose feature differs from the typical value can move (the others add
        # 0), and with evidence only those the data back as raising churn can be a reason
        moving = (x[:, cols] != x_typical[cols]).any(axis=1)
        if evidence is not None:
            moving &= _backed(evidence.get(f), frame[f], typical[f])
        moved = np.flatnonzero(moving)
        if len(moved):
            alt = x[moved]
            alt[:, cols] = x_typical[cols]
            contrib[moved, j] = base[moved] - model.model.predict_proba(alt)[:, 1]
    rows, cols = np.nonzero(contrib > MIN_CONTRIBUTION)  # customer by customer, features in order
    values = np.empty(len(rows), dtype=object)
    for j, f in enumerate(names):  # as Python values: only the rows that give a reason
        at = cols == j
        values[at] = frame[f].iloc[rows[at]].to_numpy(dtype=object)
    long = pd.DataFrame(
        {
            "customer_id": frame.index.to_numpy()[rows],
            "feature": names[cols],
            "contribution": contrib[rows, cols],
            "value": values,
        }
    )
    long["typical"] = long["feature"].map(typical)
    long = long.sort_values(["customer_id", "contribution"], ascending=[True, False])
    long["rank"] = long.groupby("customer_id").cumcount() + 1
    long = long[long["rank"] <= top]
    return long[["customer_id", "rank", "feature", "value", "typical", "contribution"]]


def forecast_check(
    previous: pd.DataFrame, spells: pd.DataFrame, made_on: dt.date, horizon_end: dt.date
) -> dict:
    """How an earlier run's scores did against what happened.

    Parameters
    ----------
    previous : DataFrame
        customer_id, probability (the earlier run's predictions).
    spells : DataFrame
        Today's spells (they know the outcome).
    made_on, horizon_end : date
        The earlier run's report date and the end of its horizon.

    Returns
    -------
    dict
        made_on, horizon_end, scored, matched (still active on ``made_on`` in today's data),
        predicted (expected number leaving), left (actual), and :func:`evaluate` of the matched.
    """
    y = churn_label(spells, made_on, horizon_end)
    prev = previous.drop_duplicates("customer_id").set_index("customer_id")["probability"]
    common = prev.index.intersection(y.index)
    result = evaluate(y.reindex(common).to_numpy(), prev.reindex(common).to_numpy())
    return {
        "made_on": made_on,
        "horizon_end": horizon_end,
        "scored": len(prev),
        "matched": len(common),
        "predicted": float(prev.reindex(common).sum()),
        "left": int(y.reindex(common).sum()),
        **result,
    }


def current_customers(spells: pd.DataFrame, as_of: dt.date) -> pd.Index:
    """Customers active on the report date (the ones to score)."""
    return pd.Index(active_on(spells, as_of)["customer_id"], name="customer_id")
