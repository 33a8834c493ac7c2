from flows.text import bylines


def test_bylines_become_person_names():
    assert bylines.people(["By Ines Marlow and Tobias Fenn"]) == ("Ines Marlow", "Tobias Fenn")
    assert bylines.people(["Jana Krüger; Ole Berg", "jana krüger"]) == ("Jana Krüger", "Ole Berg")
    assert bylines.people(["Von Jana Krüger und Ole Berg"]) == ("Jana Krüger", "Ole Berg")


def test_staff_emails_and_urls_are_not_people():
    assert bylines.people(["Staff", "Digital Desk", "news@gazette.example", "https://x.example/me"]) == ()


def test_an_agency_is_credited_after_the_people_and_the_site_only_when_no_one_else_is():
    assert bylines.people(["Reuters", "Ines Marlow"]) == ("Ines Marlow", "Reuters")
    assert bylines.people(["The Saltmarsh Gazette", "Ines Marlow"], ["The Saltmarsh Gazette"]) == ("Ines Marlow",)
    assert bylines.people(["Reuters"]) == ("Reuters",)
    assert bylines.people(["saltmarsh.example", "Ines Marlow"]) == ("Ines Marlow",)
    assert bylines.people(["Saltmarsh Gazette (www.saltmarsh.example)"]) == ("Saltmarsh Gazette",)
    assert not bylines.names_a_person(["Saltmarsh Gazette (www.saltmarsh.example)", "dpa"])


def test_a_desk_sign_after_the_name_falls_away():
    assert bylines.people(["Elsa Brunner (ebr), Timo Ruf (tru.)"]) == ("Elsa Brunner", "Timo Ruf")


def test_nordic_and_joins_names():
    assert bylines.people(["Sigrid Moe og Arne Dahl"]) == ("Sigrid Moe", "Arne Dahl")
    assert bylines.people(["Sigrid Moe och Arne Dahl"]) == ("Sigrid Moe", "Arne Dahl")


def test_a_slug_of_a_name_is_the_same_person():
    assert bylines.people(["Ines Marlow", "Ines-Marlow"]) == ("Ines Marlow",)


def test_structured_surname_first_names_are_turned_round():
    assert bylines.structured("Marlow, Ines") == "Ines Marlow"
    assert bylines.structured("van Dijk, Anna Maria") == "Anna Maria van Dijk"
    assert bylines.structured("Ines Marlow") == "Ines Marlow"
    assert bylines.structured("Marlow and Fenn, Tobias") == "Marlow and Fenn, Tobias"


def test_a_section_label_before_the_by_word_falls_away():
    assert bylines.people(["Opinion By Ines Marlow"]) == ("Ines Marlow",)
    assert bylines.people(["Meinung Von Jana Krüger"]) == ("Jana Krüger",)
    assert bylines.people(["Ursula von der Leyen"]) == ("Ursula von der Leyen",)


def test_buttons_numbers_and_source_labels_are_not_people():
    assert bylines.people(["Follow", "105092"]) == ()
    assert bylines.people(["Ines Marlow", "Folgen"]) == ("Ines Marlow",)
    assert bylines.people(["Quelle: sid"]) == ("sid",)
    assert not bylines.names_a_person(["Source: APA"])


def test_a_desk_of_the_site_and_initials_are_organisations():
    gazette = ["Saltmarsh Gazette"]
    assert bylines.people(["Ines Marlow", "Saltmarsh Gazette North"], gazette) == ("Ines Marlow",)
    assert not bylines.names_a_person(["SGN"], gazette)
