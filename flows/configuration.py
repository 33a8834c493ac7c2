"""Load and validate sources.yaml.

Validation happens before any network work; every error names the file, the
source (when there is one) and the field, so a user can fix it at a glance.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flows.records import Source, SourceKind
from warehouse.records import SharedWarehouse

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 5,000 sources in 0.2 s, not 3 s

SOURCES_ENV = "NEWSDESK_SOURCES"
DB_ENV = "NEWSDESK_DB"
DEFAULT_SOURCES = Path("sources.yaml")
SOURCE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# A news sitemap lists the last two days (Google's rule); a plain sitemap, everything ever.
DEFAULT_MAX_AGE_DAYS = {SourceKind.NEWS_SITEMAP: 2.0, SourceKind.SITEMAP: 30.0}


class ConfigError(ValueError):
    """sources.yaml is missing, unreadable or invalid."""


def is_http_url(value: str) -> bool:
    """What sources.yaml accepts as a feed or site URL: http(s) with a host."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_http_url(value: str) -> str:
    if not is_http_url(value):
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


class ScheduleModel(BaseModel):
    """How often `newsdesk serve` runs the flow; each run polls only the sources that are due."""

    model_config = ConfigDict(extra="forbid")

    interval_seconds: int | None = Field(None, ge=1)
    cron: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ScheduleModel:
        if self.interval_seconds is not None and self.cron is not None:
            raise ValueError("give interval_seconds or cron, not both")
        if self.interval_seconds is None and self.cron is None:
            self.interval_seconds = 300
        return self


class DaskModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str | None = None
    workers: int | None = Field(None, ge=1)
    staging_dir: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> DaskModel:
        if (self.address is None) == (self.workers is None):
            raise ValueError("give address (an existing Dask scheduler) or workers (a local cluster), one of them")
        return self


class SharedWarehouseModel(BaseModel):
    """settings.warehouse as a mapping: a warehouse several machines share."""

    model_config = ConfigDict(extra="forbid")

    catalog: str  # "postgres:dbname=… host=… user=…"
    data_path: str  # the same folder (or s3://…) on every machine

    @field_validator("catalog")
    @classmethod
    def _postgres(cls, value: str) -> str:
        if not value.startswith("postgres:"):
            raise ValueError('a shared catalog is PostgreSQL: "postgres:dbname=… host=… user=…"')
        return value.removeprefix("postgres:")


class SettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: str | SharedWarehouseModel = "warehouse/newsdesk"  # a folder, or a shared warehouse
    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk; set settings.user_agent with your contact)"
    connect_timeout_seconds: float = Field(10.0, gt=0)
    read_timeout_seconds: float = Field(20.0, gt=0)
    total_timeout_seconds: float = Field(60.0, gt=0)
    max_feed_bytes: int = Field(10_000_000, gt=0)
    max_page_bytes: int = Field(5_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    concurrency: int = Field(16, ge=1)
    per_host_concurrency: int = Field(2, ge=1)
    min_delay_seconds: float = Field(1.0, ge=0)
    allow_private_networks: bool = False
    lock_wait_seconds: float | None = Field(None, ge=0)  # None: the warehouse's own default
    keep_snapshots_days: float = Field(7.0, ge=0)  # how far back `query --as-of` can look
    maintain_every_hours: float = Field(1.0, gt=0)  # compaction and snapshot expiry, after a run
    max_entries_per_poll: int = Field(200, ge=1)
    min_body_chars: int = Field(250, ge=0)
    poll_interval_minutes: float = Field(30.0, gt=0)
    sitemap_interval_minutes: float = Field(360.0, gt=0)  # plain sitemaps: large, slow to change
    recheck_after_hours: list[float] = [1.0, 6.0, 24.0, 72.0]  # each article's page is fetched again after
    recheck_share: float = Field(0.2, ge=0, lt=1)  # of a run's requests, at most, while new pages wait
    schedule: ScheduleModel = ScheduleModel()
    dask: DaskModel | None = None

    _increasing_hours = field_validator("recheck_after_hours")(lambda value: _recheck_hours(value))


class SourceModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=SOURCE_NAME_PATTERN)
    url: str
    kind: SourceKind = SourceKind.FEED
    max_age_days: float | None = Field(None, gt=0)
    url_pattern: str | None = None
    site: str | None = None
    category: str | None = None
    language: str | None = Field(None, pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")
    enabled: bool = True
    max_entries: int | None = Field(None, ge=1)
    timeout_seconds: float | None = Field(None, gt=0)
    per_host_concurrency: int | None = Field(None, ge=1)
    min_delay_seconds: float | None = Field(None, ge=0)
    interval_minutes: float | None = Field(None, gt=0)
    recheck_after_hours: list[float] | None = None  # [] : never re-check this source's pages

    @field_validator("url", "site")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    _increasing_hours = field_validator("recheck_after_hours")(lambda value: _recheck_hours(value))

    @field_validator("url_pattern")
    @classmethod
    def _regular_expression(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _sitemap_options(self) -> SourceModel:
        if self.kind is SourceKind.FEED and (self.max_age_days is not None or self.url_pattern is not None):
            raise ValueError("max_age_days and url_pattern apply to sitemaps (kind: news_sitemap or sitemap)")
        return self


def _recheck_hours(hours: list[float] | None) -> list[float] | None:
    if hours is not None and (any(h <= 0 for h in hours) or hours != sorted(set(hours))):
        raise ValueError(f"re-check hours must be positive and increasing, e.g. [1, 6, 24, 72], not {hours}")
    return hours


class FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: SettingsModel = SettingsModel()
    sources: list[dict[str, Any]] = []


@dataclass(frozen=True)
class DaskSettings:
    """Run fetch-and-extract batches on a Dask cluster: an existing one at `address`, or a
    local one with `workers` processes. Workers write staged batches into `staging_dir`
    (shared storage when the cluster spans machines); only the flow's process loads them."""

    address: str | None
    workers: int | None
    staging_dir: Path


@dataclass(frozen=True)
class Settings:
    warehouse: Path | SharedWarehouse
    user_agent: str
    connect_timeout_seconds: float
    read_timeout_seconds: float
    total_timeout_seconds: float
    max_feed_bytes: int
    max_page_bytes: int
    max_redirects: int
    concurrency: int
    per_host_concurrency: int
    min_delay_seconds: float
    allow_private_networks: bool
    lock_wait_seconds: float | None
    keep_snapshots_days: float
    maintain_every_hours: float
    min_body_chars: int
    recheck_share: float
    schedule_interval_seconds: int | None
    schedule_cron: str | None
    dask: DaskSettings | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    settings: Settings
    sources: tuple[Source, ...]

    @property
    def enabled_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)


def resolve_sources_path(explicit: Path | None) -> Path:
    """--sources wins, then NEWSDESK_SOURCES, then ./sources.yaml."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get(SOURCES_ENV) or DEFAULT_SOURCES)


def load(path: Path, db: Path | None = None) -> Config:
    """Read and validate a sources file; `db` (or NEWSDESK_DB) overrides the warehouse path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read sources file: {exc.strerror or exc}") from exc
    try:
        data = yaml.load(text, Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse(data, path, db)


def parse(data: Any, path: Path, db: Path | None = None) -> Config:
    """Validate an already-loaded sources document (used by load() and the demo)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'settings' and 'sources'")
    try:
        document = FileModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc, None)) from exc
    sources = [_source(path, index, raw) for index, raw in enumerate(document.sources)]
    _reject_duplicates(path, sources)
    settings = _settings(document.settings, path, db)
    return Config(
        path=path, settings=settings, sources=tuple(_to_record(model, document.settings) for model in sources)
    )


def _source(path: Path, index: int, raw: Any) -> SourceModel:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: sources[{index}]: expected a mapping with name and url")
    try:
        return SourceModel.model_validate(raw)
    except ValidationError as exc:
        label = f"source {raw.get('name')!r} (sources[{index}])" if raw.get("name") else f"sources[{index}]"
        raise ConfigError(_describe(path, exc, label)) from exc


def _describe(path: Path, exc: ValidationError, label: str | None) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(f"field '{where}': {message}")
    prefix = f"{path}: {label}: " if label else f"{path}: "
    return prefix + "; ".join(problems)


def _reject_duplicates(path: Path, sources: list[SourceModel]) -> None:
    seen: dict[str, int] = {}
    for index, source in enumerate(sources):
        if source.name in seen:
            raise ConfigError(
                f"{path}: source {source.name!r} (sources[{index}]): field 'name': "
                f"duplicate of sources[{seen[source.name]}]"
            )
        seen[source.name] = index


def _settings(model: SettingsModel, path: Path, db: Path | None) -> Settings:
    chosen = db or (Path(os.environ[DB_ENV]) if os.environ.get(DB_ENV) else None)
    warehouse: Path | SharedWarehouse
    if chosen is not None:
        warehouse = chosen
    elif isinstance(model.warehouse, SharedWarehouseModel):
        warehouse = SharedWarehouse(model.warehouse.catalog, model.warehouse.data_path)
    else:
        warehouse = path.parent / model.warehouse
    values = model.model_dump(
        exclude={
            "warehouse",
            "max_entries_per_poll",
            "poll_interval_minutes",
            "sitemap_interval_minutes",
            "recheck_after_hours",
            "schedule",
            "dask",
        }
    )
    return Settings(
        warehouse=warehouse,
        schedule_interval_seconds=model.schedule.interval_seconds,
        schedule_cron=model.schedule.cron,
        dask=_dask(model.dask, path, warehouse),
        **values,
    )


def _dask(model: DaskModel | None, path: Path, warehouse: Path | SharedWarehouse) -> DaskSettings | None:
    if model is None:
        return None
    beside = warehouse.parent if isinstance(warehouse, Path) else path.parent
    staging = path.parent / model.staging_dir if model.staging_dir else beside / "staging"
    return DaskSettings(address=model.address, workers=model.workers, staging_dir=staging)


def _to_record(model: SourceModel, settings: SettingsModel) -> Source:
    return Source(
        name=model.name,
        feed_url=model.url,
        kind=model.kind,
        site=model.site,
        category=model.category,
        language=model.language,
        enabled=model.enabled,
        max_entries=model.max_entries or settings.max_entries_per_poll,
        timeout_seconds=model.timeout_seconds or settings.read_timeout_seconds,
        per_host_concurrency=model.per_host_concurrency,
        min_delay_seconds=model.min_delay_seconds,
        interval_minutes=model.interval_minutes or _default_interval(model.kind, settings),
        max_age_days=model.max_age_days or DEFAULT_MAX_AGE_DAYS.get(model.kind),
        url_pattern=model.url_pattern,
        recheck_after_hours=tuple(
            settings.recheck_after_hours if model.recheck_after_hours is None else model.recheck_after_hours
        ),
    )


def _default_interval(kind: SourceKind, settings: SettingsModel) -> float:
    return settings.sitemap_interval_minutes if kind is SourceKind.SITEMAP else settings.poll_interval_minutes
