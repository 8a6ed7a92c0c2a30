"""The footer: every key the screen offers now, in the learner's language, wrapped onto a second line
when the terminal is narrow (a one-line footer cuts keys off at 80 columns)."""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from tutor.ui.keys import describe

_GAP = 2


class KeyBar(Widget):
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    def __init__(self) -> None:
        super().__init__()
        self._items: list[Text] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.refresh_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh_keys()

    def refresh_keys(self) -> None:
        language = getattr(self.app, "language", "en")
        shown = [(item.binding, item.enabled) for item in self.screen.active_bindings.values() if item.binding.show]
        self._items = [self._item(list(group), language) for _, group in groupby(shown, key=lambda pair: pair[0].action)]
        self.refresh(layout=True)

    def _item(self, group: list[tuple[Binding, bool]], language: str) -> Text:
        binding, enabled = group[0]
        keys = "/".join(self.app.get_key_display(b) for b, _ in group)
        item = Text.assemble((keys, self.get_component_rich_style("key-bar--key")),
                             (f" {describe(binding, language)}", self.get_component_rich_style("key-bar--description")))
        if not enabled:
            item.stylize("dim")
        return item

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(_pack(self._items, width))

    def render(self) -> Text:
        return Text("\n").join(_pack(self._items, self.content_size.width))


def _pack(items: list[Text], width: int) -> list[Text]:
    """Items on as few lines as fit `width`, never splitting an item."""
    lines: list[Text] = [Text()]
    for item in items:
        line = lines[-1]
        if line.cell_len and line.cell_len + _GAP + item.cell_len > width:
            lines.append(line := Text())
        if line.cell_len:
            line.append(" " * _GAP)
        line.append_text(item)
    return lines
