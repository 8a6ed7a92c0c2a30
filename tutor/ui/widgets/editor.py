"""The learner's block: a Python editor that can mark the line torch blamed.

It types only while *editing*: `i`, Tab, or Enter on it start editing, Escape (or leaving
it) stops. Focused but not editing, it is read-only, so the tutor's one-letter keys work
and a stray `z` never lands in the block. Its border says which it is.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

INDENT = "    "


class BlockEditor(TextArea):
    """A `TextArea` with Python highlighting, an editing mode and one optional marked line."""

    COMPONENT_CLASSES = {"block-editor--offending"}
    ALLOW_MAXIMIZE = True
    BINDINGS = [
        Binding("ctrl+a", "select_all", "select all", show=False),
        Binding("ctrl+home", "document_start", "start of the block", show=False),
        Binding("ctrl+end", "document_end", "end of the block", show=False),
        Binding("ctrl+shift+home", "document_start(True)", "select to the start", show=False),
        Binding("ctrl+shift+end", "document_end(True)", "select to the end", show=False),
    ]

    class ModeChanged(Message):
        """Editing started or stopped: the screen relabels the border."""

    def __init__(self, text: str, **options: object) -> None:
        super().__init__(
            text,
            language="python",
            theme="monokai",
            soft_wrap=False,
            tab_behavior="indent",  # Tab indents while editing
            show_line_numbers=True,
            read_only=True,  # until the learner starts editing
            **options,  # type: ignore[arg-type]
        )
        self._offending: int | None = None  # 0-based

    # --- editing or not ---

    @property
    def editing(self) -> bool:
        return not self.read_only

    def start_editing(self) -> None:
        self.focus()
        self.read_only = False

    def stop_editing(self) -> None:
        self.read_only = True

    def _watch_read_only(self, read_only: bool) -> None:
        super()._watch_read_only(read_only)
        self.post_message(self.ModeChanged())

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.post_message(self.ModeChanged())

    def _on_blur(self, event: events.Blur) -> None:
        self.stop_editing()  # back in it only on purpose
        super()._on_blur(event)
        self.post_message(self.ModeChanged())

    async def _on_key(self, event: events.Key) -> None:
        if not self.editing:
            if event.key == "enter":
                event.stop()
                event.prevent_default()
                self.start_editing()
            return  # every other key is the tutor's
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.stop_editing()
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._new_line()
            return
        await super()._on_key(event)

    def _new_line(self) -> None:
        """Enter keeps the line's indentation, and indents one level more after a colon."""
        row, column = self.cursor_location
        before = self.document[row][:column]
        indent = before[: len(before) - len(before.lstrip())]
        if before.rstrip().endswith(":"):
            indent += INDENT
        start, end = self.selection
        self.replace("\n" + indent, start, end, maintain_selection_offset=False)

    # --- moving ---

    def action_document_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_document_end(self, select: bool = False) -> None:
        self.move_cursor(self.document.end, select=select)

    # --- the line torch blamed ---

    @property
    def offending_line(self) -> int | None:
        """The marked line, 1-based like `Diagnosis.line`."""
        return None if self._offending is None else self._offending + 1

    def mark_line(self, line: int | None) -> None:
        """Mark a 1-based line of the block (None clears the mark) and bring it into view."""
        inside = line is not None and 1 <= line <= self.document.line_count
        self._offending = line - 1 if inside and line is not None else None
        # Rendered lines are cached by what TextArea knows changes them; the mark is not among those.
        self._line_cache.clear()
        self.refresh()
        if self._offending is not None:
            self.scroll_to(y=max(0, self._offending - 1), animate=False)

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if line_index == self._offending:
            line.stylize(self.get_component_rich_style("block-editor--offending"))
        return line
