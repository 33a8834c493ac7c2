"""The `newsdesk` command: parsing arguments, calling the flows and the warehouse, printing."""

from flows.cli.commands import app
from flows.cli.warehouse_commands import shell, warehouse_app

app.command("shell")(shell)
app.add_typer(warehouse_app, name="warehouse")

__all__ = ["app"]
