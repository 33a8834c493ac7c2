from flows.text import bylines


def test_bylines_become_person_names():
    assert bylines.people(["By Ines Marlow and Tobias Fenn"]) == ("Ines Marlow", "Tobias Fenn")
    assert bylines.people(["Jana Krüger; Ole Berg", "jana krüger"]) == ("Jana Krüger", "Ole Berg")
    assert bylines.people(["Von Jana Krüger und Ole Berg"]) == ("Jana Krüger", "Ole Berg")


def test_staff_emails_and_urls_are_not_people():
    assert bylines.people(["Staff", "Digital Desk", "news@gazette.example", "https://x.example/me"]) == ()


def test_site_or_agency_only_when_no_person_is_named():
    assert bylines.people(["Reuters", "Ines Marlow"]) == ("Ines Marlow",)
    assert bylines.people(["The Saltmarsh Gazette", "Ines Marlow"], ["The Saltmarsh Gazette"]) == ("Ines Marlow",)
    assert bylines.people(["Reuters"]) == ("Reuters",)
