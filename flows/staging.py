"""Page results as staged Parquet files: how fetch-and-extract batches run on Dask workers
hand their work to the one process that writes the warehouse (workers never open DuckDB).

One row per page: the job (URL, the entries behind it, attempts), the response (with the
raw bytes, kept for re-extraction), the extracted article or the failure. The Arrow schema
is derived from the records' own type hints, so a field added to a record is staged too.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flows.records import PageResult

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    bytes: pa.binary(),
    datetime: pa.timestamp("us", tz="UTC"),
}


def write(results: list[PageResult], path: Path) -> Path:
    """Write atomically: a reader never sees half a batch."""
    partial = path.with_suffix(".partial")
    rows = [_plain(result) for result in results]
    pq.write_table(pa.Table.from_pylist(rows, schema=_schema()), partial)
    partial.replace(path)
    return path


def read(path: Path) -> list[PageResult]:
    return [_record(PageResult, row) for row in pq.read_table(path, schema=_schema()).to_pylist()]


@cache
def _schema() -> pa.Schema:
    return pa.schema(list(_arrow(PageResult)))


def _arrow(hint: Any) -> pa.DataType:
    hint = _optional_inner(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return pa.struct([(name, _arrow(field_hint)) for name, field_hint in _hints(hint).items()])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return pa.list_(_arrow(args[0]))
    if origin is dict:
        return pa.map_(_arrow(args[0]), _arrow(args[1]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return pa.string()
    return _SCALARS[hint]


def _plain(value: Any) -> Any:
    """A record as Arrow takes it: dicts for records, lists for tuples, (key, value) pairs for maps."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return list(value.items())
    return value


def _record(hint: Any, value: Any) -> Any:
    """The inverse of _plain, guided by the type hints."""
    hint = _optional_inner(hint)
    if value is None:
        return None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint(**{name: _record(field_hint, value[name]) for name, field_hint in _hints(hint).items()})
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return tuple(_record(args[0], item) for item in value)
    if origin is dict:
        return dict(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value


@cache
def _hints(record: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(record)}
    return {name: hint for name, hint in typing.get_type_hints(record).items() if name in names}


def _optional_inner(hint: Any) -> Any:
    """X for X | None."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return inner
    return hint
