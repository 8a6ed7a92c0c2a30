"""Errors a learner reads: a catalogue key and values, shown in the learner's language."""

from __future__ import annotations

from tutor.core.i18n import DEFAULT_LANGUAGE, tr


class ExplainedError(Exception):
    """`str(error)` is the English text; `error.explain(language)` any other."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(tr(key, DEFAULT_LANGUAGE, **values))

    def explain(self, language: str) -> str:
        return tr(self.key, language, **self.values)
