"""A yes/no question in a modal box, answered from the keyboard."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tutor.core.i18n import tr
from tutor.ui.keys import verb
from tutor.ui.screens.base import Translated
from tutor.ui.widgets.key_bar import KeyBar


class ConfirmScreen(Translated, ModalScreen[bool]):
    """Dismisses with True (y, Enter) or False (n, Escape)."""

    BINDINGS = [verb("y,enter", "yes"), verb("n,escape", "no")]

    def __init__(self, question_key: str, **values: object) -> None:
        super().__init__()
        self.question_key = question_key
        self.values = values

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(id="question")
        yield KeyBar()

    def on_mount(self) -> None:
        self.apply_language()

    def apply_language(self) -> None:
        super().apply_language()
        self.query_one("#question", Static).update(Text(tr(self.question_key, self.language, **self.values)))

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
