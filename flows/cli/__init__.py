"""The `newsdesk` command: parsing arguments, calling the flows and the warehouse, printing."""

from flows.cli.archive_commands import import_app
from flows.cli.commands import app
from flows.cli.warehouse_commands import shell, warehouse_app

app.command("shell")(shell)
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(import_app, name="import")

__all__ = ["app"]
