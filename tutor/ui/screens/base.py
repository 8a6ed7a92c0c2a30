"""What every tutor screen shares: the app's session state, and relabelling on a language switch."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tutor.ui.app import TutorApp


class Translated:
    """Mixed into screens (full or modal) whose text follows the live language."""

    @property
    def tutor(self) -> TutorApp:
        return cast("TutorApp", cast(Screen, self).app)

    @property
    def language(self) -> str:
        return self.tutor.language

    def apply_language(self) -> None:
        """Relabel everything; screens extend this with their own text."""
        cast(Screen, self).refresh_bindings()  # the key bar relabels itself on this signal


class TutorScreen(Translated, Screen):
    pass
