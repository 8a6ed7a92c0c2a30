"""The tutor's own text: the message catalogue, one file per language (choosing one is in settings.py).

Each language is one file, `tutor/locales/<code>.toml`, of flat `key = "text"`
pairs with `{placeholders}`. Adding a language means adding a file.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field

from tutor.core.tomlread import load_toml_text

DEFAULT_LANGUAGE = "en"


class Wording(BaseModel):
    """A sentence of the catalogue kept as its key and values, so that a front end can say it
    in any language (`say`); `terms` are values that are themselves sentences of the catalogue.
    The core hands out wordings, never sentences in a language."""

    model_config = ConfigDict(frozen=True)

    key: str
    values: dict[str, str | int | float | None] = Field(default_factory=dict)
    terms: dict[str, Wording] = Field(default_factory=dict)


def available_languages() -> list[str]:
    """Language codes with a catalogue file, English first."""
    codes = sorted(p.name[:-5] for p in files("tutor.locales").iterdir() if p.name.endswith(".toml"))
    return sorted(codes, key=lambda code: code != DEFAULT_LANGUAGE)


@cache
def catalogue(language: str) -> dict[str, str]:
    path = files("tutor.locales") / f"{language}.toml"
    return load_toml_text(path.read_text(encoding="utf-8"), str(path))


def tr(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The catalogue text for `key` in `language` (falling back to English), filled in."""
    text = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise KeyError(f"no message {key!r} in the catalogue")
    return text.format(**values) if values else text


def tr_count(key: str, language: str, count: int, **values: object) -> str:
    """`key.one` for a count of one, else `key.other`, filled in with `count` and `values`."""
    return tr(f"{key}.{'one' if count == 1 else 'other'}", language, count=count, **values)


def say(wording: Wording, language: str) -> str:
    """A kept sentence, said in `language`."""
    terms = {name: say(term, language) for name, term in wording.terms.items()}
    return tr(wording.key, language, **wording.values, **terms)
