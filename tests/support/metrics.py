"""Prometheus text read back, as a scraper would read it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def by_source(text: str, name: str) -> dict[str, float]:
    """Source -> the sum of its samples called `name` (over any other labels)."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                source = sample.labels["source"]
                found[source] = found.get(source, 0) + sample.value
    return found


def values(text: str, name: str, **labels: str) -> list[float]:
    """The values of the samples called `name` that carry `labels`."""
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]
