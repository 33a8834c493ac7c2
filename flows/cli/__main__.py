from flows.cli.commands import app

app()
