"""Pages that answer 200 but are not the article: told apart from articles that only talk about them."""

import pytest

from flows import extract
from flows.extract import access

CONSENT = (
    b"<html><head><title>Before you continue to Harbour News</title></head><body><form method='post' "
    b"action='https://consent.google.com/save'><p>We use cookies and data to deliver and maintain services.</p>"
    + b"<p>If you choose to accept all, we will also use cookies to develop new services.</p>" * 8
    + b"<button>Accept all</button></form></body></html>"
)
DATADOME = (
    b"<html><head><title>harbour.example</title></head><body><p>Please enable JS and disable any ad blocker</p>"
    b"<script src='https://ct.captcha-delivery.com/c.js'></script></body></html>"
)
REPORT = (
    b"<html><head><title>Outage takes down thousands of sites</title></head><body><article><h1>Outage takes down "
    b"thousands of sites</h1><p>Visitors to thousands of websites saw a page saying 'Just a moment' on Tuesday "
    b"after a fault at Cloudflare, whose checks sit in front of many news sites, stopped pages from loading.</p>"
    b"<p>The company said a configuration change had been rolled back within the hour and that no data was lost, "
    b"while shops reported a busy evening once their sites came back.</p></article></body></html>"
)


@pytest.mark.parametrize(("page", "kind"), [(CONSENT, "consent wall"), (DATADOME, "bot challenge"), (REPORT, None)])
def test_challenge_pages_are_recognised_and_a_report_about_them_is_not(page, kind):
    assert access.challenge(page) == kind


def test_extraction_refuses_a_consent_wall_whatever_its_length():
    with pytest.raises(extract.ExtractionFailed, match="consent wall"):
        extract.article(CONSENT, "https://harbour.example/news/1")
