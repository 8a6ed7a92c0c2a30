"""The course screen's "explain an error": paste a traceback, read the explanation, open the lesson."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList, TextArea

from tutor.ui.screens.course import CourseScreen
from tutor.ui.screens.explain import ExplainScreen
from tutor.ui.widgets.key_bar import KeyBar

try:  # tests/ui may or may not be a package
    from .conftest import AppFactory
    from .ui_helpers import pilot_test, text_of
except ImportError:
    from conftest import AppFactory
    from ui_helpers import pilot_test, text_of

SIZE = (100, 40)
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "real_errors"


def pasted(slug: str) -> str:
    """A traceback someone posted (tests/corpus/real_errors), as the learner would paste it."""
    [path] = CORPUS.glob(f"*-{slug}.txt")
    return path.read_text(encoding="utf-8").partition("\n---\n")[2]


@pilot_test
async def test_paste_a_traceback_read_it_and_open_the_lesson(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "e explain an error" in app.screen.query_one(KeyBar).render().plain  # offered in the footer
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, ExplainScreen)
        assert "The explanation appears here" in text_of(screen)
        screen.query_one(TextArea).load_text(pasted("inplace-cuda-relubackward0"))
        await pilot.press("ctrl+r")
        await pilot.pause()
        shown = text_of(screen)
        assert "a tensor saved for backward was modified in place" in shown
        assert "torch.cuda.FloatTensor" in shown and "[27, 32]" in shown and "ReluBackward0" in shown
        assert "What to check first" in shown
        lessons = screen.query_one(OptionList)
        assert lessons.has_focus and lessons.get_option_at_index(0).id == "inplace-residual"
        await pilot.press("enter")
        await pilot.pause()
        assert app.lesson_screen is not None and app.lesson_screen.lesson.id == "inplace-residual"
        assert [type(s) for s in app.screen_stack[1:-1]] == [CourseScreen]  # the lesson opened over the course


@pilot_test
async def test_in_spanish_an_unknown_error_and_back_to_the_course(make_app: AppFactory) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        screen = app.screen
        screen.query_one(TextArea).load_text(pasted("cpp-abort-illegal-memory"))
        await pilot.press("ctrl+r")
        await pilot.pause()
        shown = text_of(screen)
        assert "El tutor no reconoce este error" in shown and "c10::Error" in shown
        assert "Ninguna lección del curso enseña este tipo de error." in shown
        assert not screen.query_one(OptionList).display
        screen.query_one(TextArea).load_text(pasted("device-rank2-wandb-launcher"))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Los tensores de una misma operación están en dispositivos distintos" in text_of(screen)
        await pilot.press("escape")
        assert isinstance(app.screen, CourseScreen)
