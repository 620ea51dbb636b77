"""The one configuration object: :class:`ReportConfig`, loaded from YAML.

Every option travels through this model. Relative source paths resolve against the directory of
the config file, so a config can be moved together with its data.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from churnreport.errors import ConfigError

TABLES = ("customers", "subscriptions", "transactions", "tickets", "staff", "churn_events")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: Query parameters that hold a secret or point libpq at one in the URL itself.
_SECRET_WORDS = re.compile(r"pass|pwd|secret|token|credential", re.IGNORECASE)
#: Parameters whose names look secret but only name a file holding one (allowed).
_SECRET_FILES = frozenset({"passfile"})


def _secret_key(key: str) -> bool:
    return bool(_SECRET_WORDS.search(key)) and key.strip().lower() not in _SECRET_FILES


def connection_secret(url: str) -> str | None:
    """What secret a database URL carries, or None.

    A secret is refused in every form libpq or Ibis would take it, whatever the URL's scheme:
    a password in the user part (``user:pw@host``), a query parameter such as ``password``,
    ``sslpassword`` (or any name with pass/pwd/secret/token/credential, percent-encoded or not;
    ``passfile``, which names a file, is allowed), a ``dbname`` or ``options`` value that is
    itself a connection string with a password, or a keyword/value string
    (``host=... password=...``) instead of a URL.

    Parameters
    ----------
    url : str
        The ``connection`` value of a source.

    Returns
    -------
    str or None
        A short description of the secret's place (never the secret itself).
    """
    if "://" not in url:
        keys = re.findall(r"([\w%]+)\s*=", url)
        if any(_secret_key(unquote(k)) for k in keys):
            return "a password keyword in a connection string"
        return None
    scheme, _, rest = url.strip().partition("://")
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    if "@" in authority and ":" in authority.rpartition("@")[0]:
        return "a password in the user part"
    parts = urlsplit(url.strip())
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if _secret_key(key):
            return f"the query parameter '{key}'"
        if _SECRET_WORDS.search(value) or "@" in value:
            nested = connection_secret(value) if "://" in value else None
            if nested or "=" in value:
                return f"a connection string in the query parameter '{key}'"
    if parts.fragment:
        return "a '#' fragment"
    return None


def redact_connection(url: str) -> str:
    """A database URL as it may be shown: no user password, secret-like query values masked.

    Parameters
    ----------
    url : str
        A connection URL.

    Returns
    -------
    str
        The URL with ``***`` in place of any password or secret-like parameter value.
    """
    if connection_secret(url) is None:
        return url
    if "://" in url:
        scheme, _, rest = url.partition("://")
        authority, tail = re.match(r"([^/?]*)(.*)", rest, re.DOTALL).groups()
        if "@" in authority:  # the rightmost @ ends the user part (a password may hold @ or #)
            user, _, host = authority.rpartition("@")
            authority = f"{user.split(':', 1)[0]}:***@{host}" if ":" in user else authority
        url = f"{scheme}://{authority}{tail}"
    out = url.split("#", 1)[0]

    def _param(m: re.Match) -> str:
        key, value = unquote(m.group(2)), unquote(m.group(3))
        secret = _secret_key(key) or _SECRET_WORDS.search(value) or "@" in value
        return f"{m.group(1)}{m.group(2)}=***" if secret else m.group(0)

    out = re.sub(r"([?&])([^=&]*)=([^&]*)", _param, out)
    # keyword/value strings: password=... and the like
    return re.sub(r"(\w*(?:pass(?!file)|pwd|secret|token|credential)\w*\s*=\s*)\S+", r"\1***",
                  out, flags=re.IGNORECASE)  # fmt: skip


class LeaveOut(_Strict):
    """Rows of a source left out on purpose: one column, one test, the reason shown.

    Attributes
    ----------
    column : str
        A column of the file.
    equals, startswith, below, above, missing
        Exactly one test: the value (or any of a list of values), a text prefix, a number
        bound (strictly below / above), or an empty cell.
    reason : str
        Why, as the data-quality section says it (e.g. "cancellations").
    """

    column: str
    equals: Any = None
    startswith: str | None = None
    below: float | None = None
    above: float | None = None
    missing: bool = False
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_test(self) -> LeaveOut:
        given = [
            k
            for k, v in (
                ("equals", self.equals),
                ("startswith", self.startswith),
                ("below", self.below),
                ("above", self.above),
                ("missing", self.missing or None),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a leave_out rule takes exactly one test of equals, startswith, below, above, "
                f"missing (got {given or 'none'})"
            )
        return self

    def parts(self) -> dict[str, str]:
        """The rule as ``column``, ``test`` and ``value`` (for a message in any language)."""
        test, value = next(
            (k, v)
            for k, v in (
                ("startswith", self.startswith),
                ("below", self.below),
                ("above", self.above),
                ("missing", "" if self.missing else None),
                ("equals", self.equals),
            )
            if v is not None
        )
        if isinstance(value, float):
            value = f"{value:g}"
        return {"column": self.column, "test": test, "value": str(value)}

    def describe(self) -> str:
        """The rule in words: ``InvoiceNo starts with 'C'``."""
        if self.startswith is not None:
            return f"{self.column} starts with {self.startswith!r}"
        if self.below is not None:
            return f"{self.column} below {self.below:g}"
        if self.above is not None:
            return f"{self.column} above {self.above:g}"
        if self.missing:
            return f"{self.column} empty"
        return f"{self.column} equal to {self.equals!r}"


class SourceConfig(_Strict):
    """Where one canonical table comes from and how its columns and values map.

    Attributes
    ----------
    path : Path
        CSV, XLSX or Parquet file; relative paths resolve against the config file.
    sheet : int or str
        XLSX sheet (index or name).
    header_row : int
        0-based row that holds the header (rows above it are skipped).
    encoding : str or None
        Force a text encoding for CSV; by default UTF-8 (with or without BOM) then GB18030.
    delimiter : str or None
        CSV field separator, or ``whitespace`` (runs of spaces or tabs); by default ``,``
        (``\t`` for ``.tsv`` files).
    skip_rows : int
        Rows right under the header that are not data (a description or units row).
    names : list of str or None
        The file has no header row: its column names in file order (``header_row`` then
        counts the rows above the first data row).
    row_ids : bool
        Customers only: the file has no customer id; each row is one customer, its id the
        row's number in the file (rows repeating another row exactly are left out, counted).
    derive : dict
        New column -> arithmetic expression over the file's columns (``+ - * /``, brackets,
        numbers; a name with spaces in backticks), e.g. ``amount: "Quantity * UnitPrice"``.
    leave_out : list of LeaveOut
        Rows left out on purpose (cancellations, guest checkouts), counted with their reason.
    date_format : str or None
        ``strftime`` format of the date columns when they are not ISO 8601.
    columns : dict
        Canonical column name -> source column name.
    values : dict
        Canonical column name -> {raw value -> canonical value}.
    sql : str or None
        A table name or a SELECT query, read from ``connection`` instead of a file.
    connection : str or None
        Database URL without password: ``postgresql://user@host:5432/db`` or
        ``duckdb:///path/file.duckdb`` (relative paths resolve against the config file).
    password_env : str
        Environment variable holding the database password (never written in the config).
    """

    path: Path | None = None
    sql: str | None = None
    connection: str | None = None
    password_env: str = "CHURN_DB_PASSWORD"
    sheet: int | str = 0
    header_row: int = Field(0, ge=0)
    encoding: str | None = None
    delimiter: str | None = Field(None, pattern=r"^(.|whitespace)$")
    skip_rows: int = Field(0, ge=0)
    names: list[str] | None = Field(None, min_length=1)
    row_ids: bool = False
    derive: dict[str, str] = Field(default_factory=dict)
    leave_out: list[LeaveOut] = Field(default_factory=list)
    date_format: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def file_options(self) -> dict[str, Any]:
        """How to read the source's file (the keyword arguments of
        :class:`~churnreport.data.sources.SourceFile`)."""
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "skip_rows": self.skip_rows,
            "names": self.names,
        }

    @model_validator(mode="after")
    def _file_or_database(self) -> SourceConfig:
        if (self.path is None) == (self.sql is None):
            raise ValueError("give either 'path' (a file) or 'sql' with 'connection' (a database)")
        if self.sql is not None and not self.connection:
            raise ValueError("'sql' needs a 'connection' URL")
        if self.connection:
            _refuse_secret(self.connection)
        return self

    @field_validator("values", mode="before")
    @classmethod
    def _stringify_raw_values(cls, v: Any) -> Any:
        # YAML turns unquoted Yes/No into booleans; raw values are compared as text.
        if isinstance(v, dict):
            return {col: {_raw_key(k): val for k, val in (m or {}).items()} for col, m in v.items()}
        return v


def _refuse_secret(url: str) -> None:
    """ValueError when a database URL carries a secret (see :func:`connection_secret`)."""
    problem = connection_secret(url)
    if problem:
        raise ValueError(
            f"the connection URL carries a secret ({problem}); put the database "
            "password in an environment variable (password_env, default "
            "CHURN_DB_PASSWORD), never in the URL"
        )


def resolve_connection(url: str, base_dir: Path) -> str:
    """A database URL with a relative DuckDB file resolved against ``base_dir``.

    Parameters
    ----------
    url : str
        ``duckdb://relative/file.duckdb``, ``duckdb:///absolute/file.duckdb`` or any other URL
        (returned as given).
    base_dir : Path
        The config file's directory.

    Returns
    -------
    str
    """
    prefix = "duckdb://"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix:
        url = prefix + str((base_dir / url[len(prefix) :]).resolve())
    return url


class PublishConfig(_Strict):
    """Where each published run's results are also written as tables (docs/DATABASE.md).

    Attributes
    ----------
    database : str
        Ibis connection URL without password: ``duckdb:///path/results.duckdb`` (a relative
        path resolves against the config file) or ``postgresql://user@host:5432/db``.
    schema : str or None
        The database schema holding the tables (created when missing); default: the
        connection's own (``main`` in DuckDB, ``public`` in PostgreSQL).
    table_prefix : str
        Prefix of the table names (``churn_runs``, ``churn_periods`` ...).
    password_env : str
        Environment variable holding the database password (never written in the config).
    """

    database: str = Field(min_length=1)
    # lower case: PostgreSQL folds an unquoted name to lower case, so "Bi" would be two schemas
    schema_: str | None = Field(None, alias="schema", pattern=r"^[a-z_][a-z0-9_]*$")
    table_prefix: str = Field("churn_", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_env: str = "CHURN_DB_PASSWORD"

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    @field_validator("database")
    @classmethod
    def _database_url(cls, v: str) -> str:
        _refuse_secret(v)
        if not re.match(r"^(duckdb|postgres|postgresql)://", v.strip()):
            raise ValueError(
                "give an Ibis connection URL: duckdb:///path/file.duckdb or "
                "postgresql://user@host:5432/db"
            )
        if v.strip().startswith("duckdb:") and duckdb_file(v.strip()) is None:
            raise ValueError(
                "give a DuckDB file, duckdb:///path/file.duckdb: an in-memory database ends "
                "with the run"
            )
        return v.strip()


def duckdb_file(url: str) -> Path | None:
    """The file of a ``duckdb:///path`` URL.

    Parameters
    ----------
    url : str
        An Ibis connection URL.

    Returns
    -------
    Path or None
        None for another database or an in-memory DuckDB.

    Examples
    --------
    >>> duckdb_file("duckdb:///srv/churn.duckdb")
    PosixPath('/srv/churn.duckdb')
    >>> [duckdb_file(u) for u in ("duckdb://", "duckdb:///", "duckdb:///:memory:", "postgresql://h/db")]
    [None, None, None, None]
    """
    prefix = "duckdb://"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    return Path(path) if path.strip("/") not in ("", ":memory:") else None


def _raw_key(k: Any) -> str:
    if isinstance(k, bool):
        return "Yes" if k else "No"
    return str(k).strip()


class ChurnConfig(_Strict):
    """How "churned" is defined (DOMAIN.md section 2)."""

    definition: Literal["contract", "inactivity", "snapshot"] = "contract"
    inactivity_days: int = Field(90, gt=0)
    reactivation_gap_days: int = Field(0, ge=0)
    tenure_unit: Literal["months", "years"] = Field(
        "months", description="unit of the mapped tenure_months column in snapshot exports"
    )


class AlertConfig(_Strict):
    """Alert thresholds checked on the report period (None switches a rule off).

    The default annual limit is the top of the typical 10-30% range (DOMAIN.md section 1).
    ``nrr_below`` (e.g. 1.0: existing customers shrink revenue) is off by default, since NRR is
    below 100% by construction when revenue cannot expand (a fixed monthly_revenue column).

    """

    churn_rate_above: float | None = Field(None, ge=0, le=1)
    annualised_churn_rate_above: float | None = Field(0.30, ge=0, le=1)
    nrr_below: float | None = Field(None, ge=0)

    significant_increase: bool = True


class DriverConfig(_Strict):
    """Which customer attributes the driver model considers, beyond the segments."""

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    slow_response_hours: float = Field(24.0, gt=0)


class SegmentOptions(_Strict):
    """Bands and boundaries of the derived segment dimensions (DOMAIN.md section 4)."""

    tenure_bands: list[int] | None = Field(
        None,
        description="lower edges in months; default <3, 3-11, 12-23, 24+ (a tenure in years: "
        "<12, 12-23, 24-59, 60+)",
    )
    abc_customer_shares: tuple[float, float] = Field(
        (0.15, 0.40), description="cumulative customer shares ending classes A and B"
    )

    def tenure_edges(self, tenure_unit: str = "months") -> tuple[int, ...]:
        """The tenure band edges in months; a tenure exported in whole years gets year bands
        (<12, 12-23, 24-59, 60+ months) unless ``tenure_bands`` is set (the default stays unset
        through the config the runner writes for the notebooks): "0 years" is up to eleven
        months, never "under 3 months".

        Parameters
        ----------
        tenure_unit : {"months", "years"}

        Returns
        -------
        tuple of int
        """
        if self.tenure_bands is not None:
            return tuple(self.tenure_bands)
        return (0, 12, 24, 60) if tenure_unit == "years" else (0, 3, 12, 24)

    @field_validator("tenure_bands")
    @classmethod
    def _increasing(cls, v: list[int] | None) -> list[int] | None:
        if v is None:  # the default for the tenure's unit (tenure_edges)
            return v
        if len(v) < 2 or v[0] != 0 or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("tenure_bands must start at 0 and increase, e.g. [0, 3, 12, 24]")
        return v

    @field_validator("abc_customer_shares")
    @classmethod
    def _shares(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] < v[1] < 1:
            raise ValueError("abc_customer_shares must be two shares 0 < A < B < 1")
        return v


class EarlyWarningConfig(_Strict):
    """Early-warning model: feature window, snapshots for training and the backtest."""

    window_days: int = Field(90, gt=0, description="recent window of the behaviour features")
    train_snapshots: int = Field(12, ge=1, description="period-end snapshots to train on")
    test_snapshots: int = Field(3, ge=1, description="latest labelled snapshots held out")
    workbook_rows: int = Field(
        100_000,
        ge=1,
        description="customers in at_risk.xlsx, the top of the list (by expected loss, or "
        "by probability without revenue data; at_risk.csv holds every scored customer): a "
        "workbook of millions of rows takes minutes to write and to open",
    )


class WinbackConfig(_Strict):
    """Win-back value tiers (DOMAIN.md section 6): cumulative customer shares by value rank."""

    tier_shares: tuple[float, float, float] = Field(
        (0.05, 0.20, 0.60),
        description="shares of paying customers (by annual value, highest first) ending the "
        "important, major and ordinary tiers; the rest are small; no value = never",
    )

    bad_standing: str | None = Field(
        None,
        description="customer column (yes/no) marking customers who broke contracts or damage "
        "the brand: tier 'never' whatever their value",
    )

    @field_validator("tier_shares")
    @classmethod
    def _tiers(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if not 0 < v[0] < v[1] < v[2] <= 1:
            raise ValueError(
                "tier_shares must be three shares 0 < important < major < ordinary <= 1"
            )
        return v


class ReportConfig(_Strict):
    """Everything a run needs. See README "Configuration" for each key."""

    name: str = Field("report", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    as_of: dt.date | None = None
    period: Literal["month", "quarter", "year"] = "month"
    language: Literal["en", "zh"] = "en"
    company: str = Field("", description="shown on the cover and page headers; default: name")
    currency: str = "CNY"
    margin: float = Field(0.10, ge=0, le=1)
    churn: ChurnConfig = Field(default_factory=ChurnConfig)
    sources: dict[str, SourceConfig]
    segments: list[str] = Field(default_factory=list)
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    drivers: DriverConfig = Field(default_factory=DriverConfig)
    segment_options: SegmentOptions = Field(default_factory=SegmentOptions)
    early_warning: EarlyWarningConfig = Field(default_factory=EarlyWarningConfig)
    winback: WinbackConfig = Field(default_factory=WinbackConfig)
    paper: Literal["A4", "Letter"] = Field("A4", description="PDF page size")
    pii: Literal["none", "mask"] = Field(
        "none", description="mask: hash customer ids and drop name-like columns in shared files"
    )

    reason_mapping: Path | None = Field(
        None, description="YAML mapping stated reasons to the taxonomy; default: the shipped one"
    )

    max_excluded_share: float = Field(
        0.2, ge=0, le=1, description="stop when more than this share of a table's rows is excluded"
    )
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="where the transactions are aggregated (data/engine.py): in-process DuckDB, "
        "or Spark through Ibis's PySpark backend (pip install churnreport[spark])",
    )
    spark: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="engine: spark: Spark settings (spark.master, spark.executor.memory, ...) "
        "on top of Spark's own configuration (spark-defaults.conf, MASTER, SPARK_REMOTE)",
    )
    cell_timeout_seconds: int = Field(600, gt=0)
    publish: PublishConfig | None = Field(
        None, description="also write each published run's results as database tables"
    )

    @field_validator("spark")
    @classmethod
    def _spark_keys(cls, v: dict) -> dict:
        odd = [k for k in v if not str(k).startswith("spark.")]
        if odd:
            raise ValueError(f"spark settings are spark.* keys, as in spark-defaults.conf: {odd}")
        return v

    def spark_settings(self) -> dict[str, str]:
        """The ``spark:`` section as Spark reads settings (text; booleans as true/false)."""
        return {
            k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in self.spark.items()
        }

    output_dir: Path = Path("reports")
    config_path: Path | None = Field(None, exclude=True)

    @field_validator("sources")
    @classmethod
    def _known_tables(cls, v: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        unknown = sorted(set(v) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown source table(s) {unknown}; known: {list(TABLES)}")
        if "customers" not in v and "transactions" not in v:
            raise ValueError("a 'customers' source is required (or 'transactions' for inactivity)")
        return v

    @model_validator(mode="after")
    def _company_named(self) -> ReportConfig:
        # never another company's name on someone's data: the report's own name by default
        if not self.company.strip():
            self.company = self.name
        return self

    @model_validator(mode="after")
    def _definition_needs(self) -> ReportConfig:
        if self.churn.definition == "inactivity" and "transactions" not in self.sources:
            raise ValueError("churn.definition 'inactivity' needs a 'transactions' source")
        if self.churn.definition == "snapshot" and self.as_of is None:
            raise ValueError(
                "churn.definition 'snapshot' needs 'as_of' (the export date of the snapshot)"
            )
        return self

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths resolve against."""
        return self.config_path.parent if self.config_path else Path.cwd()

    def source_path(self, table: str) -> Path | None:
        """Absolute path of a source table's file (None for a database source)."""
        p = self.sources[table].path
        if p is None:
            return None
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def source_connection(self, table: str) -> str:
        """A database source's URL, a relative DuckDB file resolved (no password)."""
        return resolve_connection(self.sources[table].connection or "", self.base_dir)

    def publish_target(self) -> PublishConfig | None:
        """The ``publish:`` section with its database URL resolved (None when not set)."""
        if self.publish is None:
            return None
        url = resolve_connection(self.publish.database, self.base_dir)
        return self.publish.model_copy(update={"database": url})

    def source_label(self, table: str) -> str:
        """How messages name a source: its file, or its connection and query."""
        path = self.source_path(table)
        if path is not None:
            return str(path)
        return f"{redact_connection(self.source_connection(table))} [{self.sources[table].sql}]"

    def driver_attributes(self) -> list[str]:
        """Customer attributes for the driver model: the usual segment columns, the configured
        segments and drivers.include, minus drivers.exclude (order kept, no repeats)."""
        usual = ["customer_type", "age", "gender", "region", "channel", "plan"]
        wanted = [*usual, *self.segments, *self.drivers.include]
        seen: list[str] = []
        for a in wanted:
            if a not in seen and a not in self.drivers.exclude:
                seen.append(a)
        return seen

    def resolved_reason_mapping(self) -> Path | None:
        """Absolute path of the reason mapping file, None for the shipped default."""
        p = self.reason_mapping
        if p is None:
            return None
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def resolved_output_dir(self) -> Path:
        """Absolute output directory (relative to the config file)."""
        p = self.output_dir
        return p if p.is_absolute() else (self.base_dir / p).resolve()


def load_config(path: str | Path, **overrides: Any) -> ReportConfig:
    """Load a :class:`ReportConfig` from YAML and apply overrides.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    **overrides
        Top-level keys to replace (``None`` and ``""`` values are ignored), e.g. ``as_of``,
        ``language``, ``output_dir``.

    Returns
    -------
    ReportConfig

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML, or does not validate.
    """
    path = Path(path).resolve()
    raw = read_yaml_mapping(path, "config file")

    for key, value in overrides.items():
        if value is not None and value != "":
            raw[key] = value
    try:
        cfg = ReportConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError(f"{path}: invalid config\n" + "\n".join(lines)) from None
    cfg.config_path = path
    return cfg


def dump_config(config: ReportConfig, path: Path) -> Path:
    """Write the effective config (overrides applied, paths absolute) as YAML.

    The runner hands this file to the notebooks, so they see exactly the config the run uses.
    """
    data = config.model_dump(mode="json", exclude={"config_path"})
    for table in data["sources"]:
        if config.source_path(table) is not None:
            data["sources"][table]["path"] = str(config.source_path(table))
        else:
            data["sources"][table]["connection"] = config.source_connection(table)
    data["output_dir"] = str(config.resolved_output_dir())
    if config.publish is not None:
        data["publish"]["database"] = config.publish_target().database
    if config.reason_mapping is not None:
        data["reason_mapping"] = str(config.resolved_reason_mapping())

    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def read_yaml_mapping(path: Path, what: str) -> dict:
    """Read a YAML file whose top level is a mapping; ConfigError naming ``what`` otherwise."""
    if not path.is_file():
        raise ConfigError(f"{what} not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return raw
