"""The reasons an import gives in English, said in the back office's language."""

from __future__ import annotations

import pytest

from service.manage.contact_labels import import_warning, row_problem


@pytest.mark.parametrize(
    ("reason", "french", "english"),
    [
        ("no email address", "pas d’adresse email", "no email address"),
        ("longer than 300 characters", "plus de 300 caractères", "longer than 300 characters"),
        ("unknown language 'de' (fr or en)", "langue inconnue 'de' (fr ou en)",
         "unknown language 'de' (fr or en)"),
        ("mixes Cyrillic and Latin letters in 'pаul': a look-alike address",
         "adresse trompeuse\u00a0: elle mêle des lettres de plusieurs alphabets",
         "a look-alike address: it mixes letters of several alphabets"),
        ("Not valid.", "adresse email invalide (Not valid.)", "invalid email address (Not valid.)"),
    ],
)  # fmt: skip
def test_a_refused_row_is_explained_in_the_page_language(app, reason, french, english):
    with app.test_request_context("/manage/"):
        assert row_problem(reason) == french
    with app.test_request_context("/manage/?lang=en"):
        assert row_problem(reason) == english


def test_a_likely_duplicate_is_explained_in_the_page_language(app):
    warning = "likely the same person: a@x.fr, b@x.fr (Anne Martin, Le Labo)"
    with app.test_request_context("/manage/"):
        assert import_warning(warning) == (
            "probablement la même personne\u00a0: a@x.fr, b@x.fr (Anne Martin, Le Labo)"
        )
    assert import_warning("something else") == "something else"
