"""A learner's progress in words: a lesson's state, and the time spent on it."""

from __future__ import annotations

from tutor.core.i18n import tr
from tutor.core.progress import LessonProgress, LessonState

LESSON_STATE_STYLE = {LessonState.NEW: "dim", LessonState.ATTEMPTED: "yellow", LessonState.SOLVED: "bold green"}
LESSON_STATE_MARK = {LessonState.NEW: "○", LessonState.ATTEMPTED: "◐", LessonState.SOLVED: "●"}


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def state_word(state: LessonState, language: str) -> str:
    """new, attempted or solved, in its colour (Rich markup): a table's state column."""
    return f"[{LESSON_STATE_STYLE[state]}]{tr(f'progress.state.{state.value}', language)}[/]"


def state_width(language: str) -> int:
    """The longest state word in `language`, so a state column never cuts one."""
    return max(len(tr(f"progress.state.{state.value}", language)) for state in LessonState)


def progress_summary(progress: LessonProgress | None, language: str) -> str:
    """The state with the hints it took: new / attempted / solved / solved with hints, and the rung reached."""
    if progress is None or progress.state is LessonState.NEW and not progress.hint_rung:
        return tr("ui.state.new", language)
    if progress.state is LessonState.SOLVED:
        if progress.hints_at_solve:
            return tr("ui.state.solved_hints", language, rung=progress.hints_at_solve)
        return tr("ui.state.solved", language)
    state = tr(f"ui.state.{progress.state.value}", language)
    return tr("ui.state.with_hints", language, state=state, rung=progress.hint_rung) if progress.hint_rung else state
