"""Helpers for driving the tutor with Pilot (pytest-asyncio is not a dependency: tests run the loop)."""

from __future__ import annotations

import asyncio
import io
import functools
from collections.abc import Awaitable, Callable

from rich.console import Console, RenderableType
from rich.text import Text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Markdown, Static

from tutor.ui.widgets.editor import BlockEditor


def plain(content: RenderableType) -> str:
    """Text as a reader sees it: Rich tables and styled text rendered to plain characters."""
    if isinstance(content, str):
        return content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


def text_of(widget: Widget) -> str:
    """All the text a widget and its children hold (titles, statics, markdown sources)."""
    parts = [str(widget.border_title or "")]
    for node in [widget, *widget.query("*")]:
        if isinstance(node, Markdown):
            parts.append(node.source)
        elif isinstance(node, Static):
            parts.append(plain(node.content))
    return "\n".join(parts)


def pilot_test(flow: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """An async test as a plain pytest test; fixtures are passed through by name."""

    @functools.wraps(flow)
    def test(**fixtures: object) -> None:
        asyncio.run(flow(**fixtures))

    return test


async def wait_for_run(pilot: Pilot) -> None:
    """Until the run worker has finished and its result is on screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def run_block(pilot: Pilot) -> None:
    await pilot.press("r")
    await wait_for_run(pilot)


async def replace_block(pilot: Pilot, text: str) -> None:
    """Type a new block as a learner would: into the editor, delete every line, type, leave."""
    await pilot.press("i")
    editor = pilot.app.screen.query_one(BlockEditor)
    for _ in range(editor.document.line_count):
        await pilot.press("ctrl+shift+k")
    # Enter indents the new line by itself; Ctrl+U clears that, so each line is typed as written.
    await pilot.press(*[key for char in text for key in (("enter", "ctrl+u") if char == "\n" else (char,))])
    await pilot.press("escape")
    await pilot.pause()
