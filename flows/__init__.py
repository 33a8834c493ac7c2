"""newsdesk's pipeline.

Pure subpackages (feeds, extract, identity, text, plan, report, sources, and records and
config) import neither Prefect, DuckDB nor httpx. The edges sit at this package's root:
http (the only network code), extractpool (extraction processes), fetching, batches,
staging, discover, reextract, localstate, and the only Prefect code, ingest, dask_runner
and serve. `newsdesk` itself is flows.cli. The ingest flow is `flows.ingest:ingest`.
"""
