from flows.extract import titles


def test_the_headline_the_others_contain_wins():
    assert (
        titles.choose(
            [
                "Tide gauge upgraded",
                "Tide gauge upgraded",
                "Tide gauge upgraded | The Gazette",
                "Tide gauge upgraded - The Gazette",
            ]
        )
        == "Tide gauge upgraded"
    )


def test_a_kicker_falls_away():
    assert (
        titles.choose([None, "Bridge reopens", "Exclusive: Bridge reopens", "Exclusive: Bridge reopens"])
        == "Bridge reopens"
    )


def test_site_suffix_is_stripped_when_nothing_agrees():
    assert (
        titles.choose([None, None, "Harbour fees rise | The Saltmarsh Gazette"], ["The Saltmarsh Gazette"])
        == "Harbour fees rise"
    )
    assert titles.choose(["Mayor resigns - a view from the quay"]) == "Mayor resigns - a view from the quay"


def test_no_candidates():
    assert titles.choose([None, " "]) is None


def test_a_section_label_is_not_the_headline():
    assert (
        titles.choose(
            ["World leaders agree on fishing quotas", "World", "World leaders agree on fishing quotas | World"]
        )
        == "World leaders agree on fishing quotas"
    )
