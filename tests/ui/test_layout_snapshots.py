"""The lesson screen's layout at 80x24 and 120x40: a long block, the zoomed hints, the graph pane.
Regenerate with `python -m pytest tests/ui/test_layout_snapshots.py --snapshot-update` and read the
SVGs in `__snapshots__/` before committing them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from conftest import SHIPPED_LESSONS, AppFactory
from ui_helpers import run_block
from tutor.ui.widgets.hints import HintPanel

SOFTMAX_FILE = "02-autograd-inplace-softmax.toml"  # a 15-line block
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture
def long_block_app(make_app: AppFactory, course_dir: Path) -> AppFactory:
    shutil.copy(SHIPPED_LESSONS / SOFTMAX_FILE, course_dir / SOFTMAX_FILE)
    return lambda: make_app(lesson="inplace-softmax")


@pytest.mark.parametrize("size", SIZES)
def test_a_lesson_with_a_long_block(snap_compare, long_block_app: AppFactory, size: str) -> None:
    """The in-place softmax lesson as it opens. At 80x24: the story keeps three rows of text
    under its title, the editor shows the first lines of the 15-line block with its bottom
    border (it scrolls), and Result and Hints sit side by side with their borders. At 120x40:
    the story (its code block wrapped inside the pane) beside the result and hints, and the
    editor across the whole width, showing lines up to 85 characters whole."""
    assert snap_compare(long_block_app(), terminal_size=SIZES[size])


async def _zoom_hints(pilot: Pilot) -> None:
    await pilot.press("h", "h")
    pilot.app.screen.query_one(HintPanel).focus()
    await pilot.press("z")


@pytest.mark.parametrize("size", SIZES)
def test_the_zoomed_hints(snap_compare, long_block_app: AppFactory, size: str) -> None:
    """Two hints revealed, then the Hints pane zoomed: it fills the screen with its whole
    border (right edge included), "Hint 2 of 3 (medium)" in its title, both rungs and "1 more: press h."."""
    assert snap_compare(long_block_app(), terminal_size=SIZES[size], run_before=_zoom_hints)


async def _run_then_graph(pilot: Pilot) -> None:
    await run_block(pilot)
    await pilot.press("t")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_the_graph_pane(snap_compare, long_block_app: AppFactory, size: str) -> None:
    """After running the starter, `t` shows and focuses the Graph pane: "1 node saved a tensor that
    was modified in place afterwards (in red)", scoped to blocks.0.attn with "press w for the whole
    graph", and the footer offers w. At 80x24 the story is down to its title and two rows."""
    assert snap_compare(long_block_app(), terminal_size=SIZES[size], run_before=_run_then_graph)
