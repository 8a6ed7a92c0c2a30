"""How the tutor looks at 80x24. Regenerate with `python -m pytest tests/ui --snapshot-update`
and read the SVGs in `__snapshots__/` before committing them."""

from __future__ import annotations

from pathlib import Path

from conftest import AppFactory
from textual.pilot import Pilot
from ui_helpers import replace_block, run_block

SIZE = (80, 24)


def test_course_screen(snap_compare, make_app: AppFactory, course_dir: Path) -> None:
    """The course screen of a new learner: the status line (learner "ada", English), "Solved 0 of 1"
    with an empty bar, then "▶ Next: In-place residual: ..."; in the list the topic "Autograd hazards"
    with 0/1 on its right and its line ("What backward saves and needs, ..."), under it the in-place
    lesson marked ▶ ○ new and highlighted; under the list a warning box: 02-broken.toml was not
    loaded, with its line. The footer lists ⏎ open, e explain an error, l language, ? help, q quit."""
    (course_dir / "02-broken.toml").write_text('format_version = 1\nid = "broken"\norder = \n', encoding="utf-8")
    assert snap_compare(make_app(), terminal_size=SIZE)


async def _run_starter(pilot: Pilot) -> None:
    await pilot.press("enter")
    await run_block(pilot)


def test_lesson_after_a_failing_run(snap_compare, make_app: AppFactory) -> None:
    """The in-place lesson after running the starter: the story shrinks to its title to make
    room; the editor holds the starter (h.add_ twice); the result panel says "✗ failed: backward
    raised: a tensor saved for backward was modified in place" (the kind in plain words), then the
    card: RuntimeError, torch.FloatTensor, shape [1, 8, 64], op Add, version found 2, expected 1;
    the hint panel offers three hints; the footer shows every key on two lines."""
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run_starter)


def test_lesson_after_a_failing_run_in_spanish(snap_compare, make_app: AppFactory) -> None:
    """The same screen in Spanish: "lección 1 de 1 · alumno: ada · anomalías: no · Español",
    the story and hints in Spanish, "✗ fallido: el backward lanzó: ..." and the card labels
    (Excepción, Tipo de tensor, Forma, Operación, Versión encontrada, Versión esperada)."""
    assert snap_compare(make_app(lang="es"), terminal_size=SIZE, run_before=_run_starter)


async def _solve(pilot: Pilot) -> None:
    await pilot.press("enter")
    await replace_block(pilot, pilot.app.course.lessons[0].code.fix)
    await run_block(pilot)


def test_solved_lesson(snap_compare, make_app: AppFactory) -> None:
    """The in-place lesson solved: the editor holds the out-of-place fix (h = h + ...), the result
    panel says "✓ passed: all N parameter gradients match the control" in green and starts the
    explanation ("The break, mechanically"); the hints were not needed."""
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_solve)


async def _run_starter_then_graph(pilot: Pilot) -> None:
    await _run_starter(pilot)
    await pilot.press("t")
    await pilot.pause()


def test_graph_tab_after_the_starter_in_a_wide_terminal(snap_compare, make_app: AppFactory) -> None:
    """At 120x40, two columns; after `t` the Graph tab is active on the right: a line saying
    2 nodes saved a tensor that was modified in place afterwards, then the tree of the nodes
    made inside blocks.0: blocks.0.ln2's NativeLayerNormBackward0 is red and open, labelled
    "backward fails here first", its input [1, 8, 64] saved at version 1 and now at version 2;
    blocks.0.ln1, also marked, is one scroll below."""
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_run_starter_then_graph)
