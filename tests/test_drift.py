"""Extraction drift judged on each source's own history: a layout change is flagged from the
run it started in, until extraction is healthy again; other sources are left alone."""

from datetime import datetime, timedelta, timezone

from flows.plan import drift
from warehouse.records import RunExtraction

START = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)


def _run(source: str, n: int, *, articles: int = 4, words: int = 600, no_body: int = 0, no_date: int = 0):
    return RunExtraction(
        source=source,
        run_id=f"{source}-run-{n}",
        started_at=START + timedelta(hours=n),
        articles=articles,
        no_body=no_body,
        no_date=no_date,
        words=[words + i for i in range(articles)],
    )


def _healthy(source: str, runs: range) -> list[RunExtraction]:
    return [_run(source, n) for n in runs]


def test_a_steady_source_is_not_drifting():
    assert drift.assess(_healthy("steady", range(10))) == {}


def test_pages_without_a_body_mark_the_source_from_the_run_they_started():
    history = [
        *_healthy("gazette", range(5)),
        _run("gazette", 5, articles=0, no_body=4),
        _run("gazette", 6, articles=0, no_body=4),
    ]

    found = drift.assess(history)

    assert found["gazette"].since_run == "gazette-run-5"
    assert found["gazette"].since == START + timedelta(hours=5)
    assert "no body" in found["gazette"].symptoms


def test_bodies_cut_to_a_teaser_are_fewer_words():
    history = [*_healthy("courier", range(5)), _run("courier", 5, words=60)]

    assert drift.assess(history)["courier"].symptoms == ("fewer words",)


def test_dates_that_vanish_are_a_symptom():
    history = [*_healthy("herald", range(5)), _run("herald", 5, no_date=4)]

    assert drift.assess(history)["herald"].symptoms == ("no date",)


def test_a_healthy_run_after_the_change_ends_the_drift():
    history = [*_healthy("gazette", range(5)), _run("gazette", 5, articles=0, no_body=4), _run("gazette", 6)]

    assert drift.assess(history) == {}


def test_a_lasting_change_stays_flagged_from_its_first_run():
    broken = [_run("gazette", n, words=40) for n in range(5, 15)]

    found = drift.assess([*_healthy("gazette", range(5)), *broken])

    assert found["gazette"].since_run == "gazette-run-5"


def test_quiet_runs_are_pooled_until_a_window_is_full():
    history = [*_healthy("weekly", range(5))]
    history += [_run("weekly", 5, articles=0, no_body=1), _run("weekly", 6, articles=0, no_body=1)]
    assert drift.assess(history) == {}  # two pages: too few to judge

    history.append(_run("weekly", 7, articles=0, no_body=1))
    assert drift.assess(history)["weekly"].since_run == "weekly-run-5"


def test_without_a_baseline_nothing_is_judged():
    assert drift.assess([_run("newcomer", 0, articles=0, no_body=5)]) == {}


def test_only_the_changed_source_drifts():
    history = [*_healthy("gazette", range(5)), *_healthy("courier", range(8))]
    history += [_run("gazette", 5, words=30), _run("gazette", 6, words=30)]

    assert set(drift.assess(history)) == {"gazette"}
