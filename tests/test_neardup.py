"""Near-duplicate bodies: which copies are one story, and which look alike but are not."""

from __future__ import annotations

from flows.identity.dedup import content_hash
from flows.text.normalise import normalise_body
from flows.identity.neardup import StoryRules
from tests.support.stories import BODY, BOILERPLATE, OTHER_STORY, STORY, THIRD_STORY

RULES = StoryRules()


def same(a: str, b: str) -> bool:
    """Found as a candidate by a shared band key, then verified: what the load does."""
    return bool(set(RULES.band_keys(a)) & set(RULES.band_keys(b))) and RULES.same_story(a, b)


def test_rewrite_with_edits_and_an_added_paragraph_is_the_same_story():
    rewritten = (
        BODY.replace("Thursday", "Wednesday")
        .replace("forty minute", "45-minute")
        .replace("Shopkeepers on the south bank were unhappy", "Traders on the south bank were not pleased")
    )
    rewritten += "\n\nThe ferry first crossed the estuary in 1911, when it was pulled by a steam winch."
    assert content_hash(rewritten) != content_hash(BODY)
    assert same(BODY, rewritten) and same(rewritten, BODY)


def test_copy_with_trimmed_ending_is_the_same_story():
    trimmed = "\n\n".join(STORY[:3])
    assert same(BODY, trimmed) and same(trimmed, BODY)


def test_lead_only_copy_is_contained_in_the_full_story():
    lead = STORY[0]
    assert same(lead, BODY) and same(BODY, lead)


def test_same_site_stories_sharing_long_boilerplate_are_different():
    first = f"{BOILERPLATE}\n\n{OTHER_STORY}\n\n{BOILERPLATE}"
    second = f"{BOILERPLATE}\n\n{THIRD_STORY}\n\n{BOILERPLATE}"
    assert set(RULES.band_keys(first)) & set(RULES.band_keys(second))  # candidates, by the boilerplate
    assert not RULES.same_story(first, second)  # and rejected on verification


def test_different_stories_on_the_same_subject_are_different():
    assert not same(BODY, THIRD_STORY)


def test_bodies_equal_after_normalisation_have_equal_keys():
    noisy = BODY.upper().replace(" ", "\u00a0 ")
    assert content_hash(noisy) == content_hash(BODY)
    assert RULES.band_keys(noisy) == RULES.band_keys(BODY)


def test_band_keys_stay_what_the_warehouse_stored():
    """Keys are stored with every article: a change to how they are computed would leave
    stored stories unreachable, so the first keys of each sketch are pinned."""
    keys = RULES.band_keys(BODY)
    assert len(keys) == RULES.body_bands + RULES.lead_bands
    assert keys[:3] == [525139278961698571, 3832035476197242285, -3271851440594862794]
    assert keys[16:18] == [-2970977070400210210, 2514325491813895924]


def test_keys_from_an_already_normalised_body_are_the_loads_keys():
    """Extraction sketches the body it normalised for the content hash; the load, when it
    has no sketch, sketches the body itself: both must give the same keys."""
    for body in (BODY, BODY.upper().replace(" ", "\u00a0 "), "", "one two"):
        assert RULES.band_keys_of_normalised(normalise_body(body)) == RULES.band_keys(body)
