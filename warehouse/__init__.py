"""The DuckDB warehouse: connection and migrations, bulk writes, state lookups."""
from warehouse.db import QueryFailed, WarehouseBusy, WarehouseError, WarehouseMissing, reading, run_lock, writing

__all__ = ["QueryFailed", "WarehouseBusy", "WarehouseError", "WarehouseMissing", "reading", "run_lock", "writing"]
