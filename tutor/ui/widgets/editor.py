"""The learner's block: a Python editor that can mark the line torch blamed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import TextArea


class BlockEditor(TextArea):
    """A `TextArea` with Python highlighting and one optional marked line."""

    COMPONENT_CLASSES = {"block-editor--offending"}

    def __init__(self, text: str, **options: object) -> None:
        super().__init__(
            text,
            language="python",
            theme="monokai",
            soft_wrap=False,
            tab_behavior="indent",  # Tab indents; Escape leaves the editor
            show_line_numbers=True,
            **options,  # type: ignore[arg-type]
        )
        self._offending: int | None = None  # 0-based

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
