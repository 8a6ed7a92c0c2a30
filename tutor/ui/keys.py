"""Tutor keys: one-letter verbs whose descriptions are catalogue keys, translated when shown."""

from __future__ import annotations

from textual.binding import Binding

from tutor.core.i18n import tr

# A binding's description is a catalogue key ("key.run"), so switching the language
# relabels the footer and the help screen at once.
KEY_PREFIX = "key."


def verb(keys: str, action: str, *, show: bool = True, priority: bool = False) -> Binding:
    """A tutor key: its id is the action, its description the catalogue key `key.<action>`."""
    return Binding(keys, action, f"{KEY_PREFIX}{action}", show=show, priority=priority, id=action)


def describe(binding: Binding, language: str) -> str:
    """The binding's description in `language` (Textual's own bindings keep theirs)."""
    if binding.description.startswith(KEY_PREFIX):
        return tr(binding.description, language)
    return binding.description
