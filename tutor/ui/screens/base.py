"""What every tutor screen shares: the app's session state, and relabelling on a language switch."""

from __future__ import annotations

from typing import cast

from textual.screen import Screen

from tutor.ui.state import TutorState


class Translated:
    """Mixed into screens (full or modal) whose text follows the live language."""

    @property
    def tutor(self) -> TutorState:
        return cast(TutorState, cast(Screen, self).app)

    @property
    def language(self) -> str:
        return self.tutor.language

    def apply_language(self) -> None:
        """Relabel everything; screens extend this with their own text."""
        cast(Screen, self).refresh_bindings()  # the key bar relabels itself on this signal


class TutorScreen(Translated, Screen):
    pass
