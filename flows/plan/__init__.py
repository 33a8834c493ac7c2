"""Pure: what a run does: which sources are due, which pages to fetch, retry and backoff policy, tallies."""
