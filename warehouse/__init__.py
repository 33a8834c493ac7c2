"""The warehouse (a DuckLake): connection and schema, bulk writes, state lookups."""

from warehouse.db import (
    QueryFailed,
    WarehouseBusy,
    WarehouseError,
    WarehouseMissing,
    attach_sql,
    reading,
    readers_paused,
    run_lock,
    writing,
)

__all__ = [
    "QueryFailed",
    "WarehouseBusy",
    "WarehouseError",
    "WarehouseMissing",
    "attach_sql",
    "reading",
    "readers_paused",
    "run_lock",
    "writing",
]
