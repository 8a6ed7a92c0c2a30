"""The message catalogue: every language has every key, with the same placeholders."""

from __future__ import annotations

import string
from typing import get_args

import pytest

from tutor.core.i18n import available_languages, catalogue, tr
from tutor.core.job import Subject
from tutor.core.settings import choose_language


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", [code for code in available_languages() if code != "en"])
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    assert set(other) == set(english), f"missing: {set(english) - set(other)}; extra: {set(other) - set(english)}"
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key


def test_language_choice_order() -> None:
    assert choose_language("es", {"MINIGPT_TUTOR_LANG": "en"}) == "es"
    assert choose_language(None, {"MINIGPT_TUTOR_LANG": "es", "LANG": "en_GB.UTF-8"}) == "es"
    assert choose_language(None, {"LANG": "es_ES.UTF-8"}) == "es"
    assert choose_language(None, {"LANG": "fr_FR.UTF-8"}) == "en"
    assert choose_language(None, {}) == "en"
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        choose_language("xx", {})


def test_translation_fills_placeholders_and_unknown_keys_fail_loudly() -> None:
    assert tr("verdict.timeout", "es", seconds=3) .startswith("detenido tras 3 s")
    with pytest.raises(KeyError):
        tr("no.such.key")


def test_every_subject_a_check_compares_has_its_name_and_its_compare_title() -> None:
    for subject in get_args(Subject):
        for language in ("en", "es"):
            assert tr(f"subject.{subject}", language) and tr(f"compare.title.{subject}", language)
