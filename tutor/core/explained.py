"""Errors a learner reads: kept as a catalogue wording, said by the front end in the learner's language."""

from __future__ import annotations

from tutor.core.i18n import DEFAULT_LANGUAGE, Wording, say


class ExplainedError(Exception):
    """`str(error)` is the English text, for logs; `error.wording` says it in any language."""

    def __init__(self, key: str, **values: str | int | float | None) -> None:
        self.wording = Wording(key=key, values=values)
        super().__init__(say(self.wording, DEFAULT_LANGUAGE))
