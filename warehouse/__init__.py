"""The DuckDB warehouse: connection and migrations, bulk writes, state lookups."""
from warehouse.db import WarehouseBusy, connect, migrate, reading, run_lock, writing

__all__ = ["WarehouseBusy", "connect", "migrate", "reading", "run_lock", "writing"]
