"""Every key of the screen below and of the app, with what it does."""

from __future__ import annotations

from itertools import groupby

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tutor.core.i18n import tr
from tutor.ui.keys import describe, verb
from tutor.ui.screens.base import Translated
from tutor.ui.widgets.key_bar import KeyBar


# The block's editing keys (the editor's own, not the screen's bindings): keys, then what they do.
EDITING_KEYS = (
    ("i / Tab / Enter", "start"),
    ("Escape", "stop"),
    ("Ctrl+R", "run"),
    ("Enter", "enter"),
    ("Tab", "tab"),
    ("Ctrl+A", "select_all"),
    ("Home", "home"),
    ("End", "end"),
    ("Ctrl+Home / Ctrl+End", "document"),
    ("Shift+arrows", "select"),
    ("Ctrl+C / Ctrl+X / Ctrl+V", "clipboard"),
    ("Ctrl+Z / Ctrl+Y", "undo"),
    ("Ctrl+K / Ctrl+Shift+K", "delete"),
)


class HelpScreen(Translated, ModalScreen[None]):
    BINDINGS = [verb("escape,question_mark,q", "close")]

    def __init__(self, bindings: list[BindingType], note_key: str | None = None, editing: bool = False) -> None:
        super().__init__()
        self.bindings = list(Binding.make_bindings(bindings))
        self.note_key = note_key
        self.editing = editing  # in a lesson, where the block is

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(id="help-keys")
            yield Static(id="help-editing")
            yield Static(id="help-note")
        yield KeyBar()

    def on_mount(self) -> None:
        self.apply_language()

    def apply_language(self) -> None:
        super().apply_language()
        self.query_one("#help-box").border_title = tr("ui.help.title", self.language)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for _, same in groupby(self.bindings, key=lambda binding: binding.action):
            group = list(same)
            keys = " / ".join(self.app.get_key_display(binding) for binding in group)
            table.add_row(keys, describe(group[0], self.language))
        self.query_one("#help-keys", Static).update(table)
        note = tr(self.note_key, self.language) if self.note_key else ""
        self.query_one("#help-note", Static).update(Text(note))
        editing = self.query_one("#help-editing", Static)
        editing.display = self.editing
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for shown, what in EDITING_KEYS:
            keys.add_row(shown, tr(f"ui.help.editing.{what}", self.language))
        editing.update(Group(Text(tr("ui.help.editing_title", self.language), style="bold underline"), keys))

    def action_close(self) -> None:
        self.dismiss(None)
