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


def test_a_label_in_capitals_falls_away():
    assert (
        titles.choose(["Bridge reopens", "EXCLUSIVE: Bridge reopens", None, "EXCLUSIVE: Bridge reopens"])
        == "Bridge reopens"
    )


def test_a_kicker_the_page_states_twice_is_part_of_the_headline():
    assert (
        titles.choose(["Lock gates: Bridge reopens", "Bridge reopens", "Lock gates: Bridge reopens", None])
        == "Lock gates: Bridge reopens"
    )


def test_the_display_headline_wins_a_tie_with_the_search_headline():
    h1 = og = "Ferry timetable cut for winter as crews retire"
    seo = "Ferry timetable winter cuts explained"
    assert titles.choose([h1, og, seo, f"{seo} | The Gazette"], ["The Gazette"]) == h1


def test_only_the_last_part_is_a_site_suffix():
    headline = "'I run the ferry - booking early could save you pounds'"
    assert titles.choose([headline, f"{headline} - Daily Tide"], ["Daily Tide"]) == headline


def test_a_suffix_without_spaces_counts_for_the_bare_headline():
    assert titles.choose(["港の橋、再開へ", "港の橋、再開へ：潮見新聞Web"]) == "港の橋、再開へ"


def test_json_ld_entities_are_decoded():
    from lxml import html

    from flows.extract import pagemeta

    page = html.fromstring(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "R&uuml;ckbau: Kai&#8217;s Pier"}</script></head><body></body></html>'
    )
    assert pagemeta.read(page).headlines[2] == "Rückbau: Kai’s Pier"


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


def test_a_heading_under_its_kicker_counts_for_the_bare_headline():
    heading = "Opinion Why the ferry fares went up"
    assert titles.choose([heading, "Why the ferry fares went up", "Ferry fares: what changed"]) == (
        "Why the ferry fares went up"
    )


def test_a_kicker_joined_by_punctuation_stays_part_of_the_headline():
    headline = "Harbour dispute: Why the ferry fares went up"
    assert titles.choose([headline, "Why the ferry fares went up", headline]) == headline


def test_the_wording_most_candidates_use_wins_suffixes_dropped():
    shown = "Quay closed:Ferries diverted"
    stated = "Quay closed: Ferries diverted"
    assert titles.choose([shown, f"{stated} - Harbour News", stated], ["The Gazette"]) == stated


def test_an_h1_in_the_breadcrumb_gives_way_to_the_heading_shown():
    from lxml import html

    from flows.extract import pagemeta

    page = html.fromstring(
        "<html><body><ol class='trail'><li><a href='/'>Home</a></li>"
        "<li><h1>Ferry fares rise: what you need to know</h1></li></ol>"
        "<article><h2><span>Harbour</span> <span>Why the ferry fares went up</span></h2><p>Text</p></article>"
        "</body></html>"
    )
    assert " ".join(pagemeta.read(page).headlines[0].split()) == "Harbour Why the ferry fares went up"
    plain = html.fromstring("<html><body><h1>Ferry fares rise</h1><h2>Related</h2></body></html>")
    assert pagemeta.read(plain).headlines[0] == "Ferry fares rise"
