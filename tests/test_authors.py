from flows.extract import authors


def test_bylines_become_person_names():
    assert authors.clean(["By Ines Marlow and Tobias Fenn"]) == ("Ines Marlow", "Tobias Fenn")
    assert authors.clean(["Jana Krüger; Ole Berg", "jana krüger"]) == ("Jana Krüger", "Ole Berg")
    assert authors.clean(["Von Jana Krüger und Ole Berg"]) == ("Jana Krüger", "Ole Berg")


def test_staff_emails_and_urls_are_not_people():
    assert authors.clean(["Staff", "Digital Desk", "news@gazette.example", "https://x.example/me"]) == ()


def test_site_or_agency_only_when_no_person_is_named():
    assert authors.clean(["Reuters", "Ines Marlow"]) == ("Ines Marlow",)
    assert authors.clean(["The Saltmarsh Gazette", "Ines Marlow"], ["The Saltmarsh Gazette"]) == ("Ines Marlow",)
    assert authors.clean(["Reuters"]) == ("Reuters",)
