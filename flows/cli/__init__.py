"""The `newsdesk` command: parsing arguments, calling the flows and the warehouse, printing."""
from flows.cli.commands import app

__all__ = ["app"]
