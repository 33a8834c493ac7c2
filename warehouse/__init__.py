"""The DuckDB warehouse: connection and migrations, bulk writes, state lookups."""
from warehouse.db import WarehouseBusy, reading, run_lock, writing

__all__ = ["WarehouseBusy", "reading", "run_lock", "writing"]
