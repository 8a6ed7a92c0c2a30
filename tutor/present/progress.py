"""A learner's progress in words: a lesson's state, the time spent on it, and their place in the course."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tutor.core.i18n import tr, tr_count
from tutor.core.place import Place, TopicPlace
from tutor.core.progress import LessonProgress, LessonState

LESSON_STATE_STYLE = {LessonState.NEW: "dim", LessonState.ATTEMPTED: "yellow", LessonState.SOLVED: "bold green"}
LESSON_STATE_MARK = {LessonState.NEW: "○", LessonState.ATTEMPTED: "◐", LessonState.SOLVED: "●"}
NEXT_MARK = "▶"  # the lesson to take next
NEXT_STYLE = "bold"


def state_mark(state: LessonState) -> Text:
    return Text(LESSON_STATE_MARK[state], style=LESSON_STATE_STYLE[state])


def topic_heading(section: TopicPlace, language: str) -> Group:
    """The topic's title and how much of it is solved ("3/8") on one line, what it teaches under it."""
    heading = Table.grid(expand=True)
    heading.add_column(ratio=1)
    heading.add_column(justify="right", no_wrap=True)
    complete = section.solved == len(section.lessons)
    heading.add_row(Text(section.topic.title.get(language), style="bold underline"),
                    Text(f"{section.solved}/{len(section.lessons)}",
                         style=LESSON_STATE_STYLE[LessonState.SOLVED] if complete else ""))
    return Group(heading, Text(section.topic.teaches.get(language), style="italic"))


def next_step(place: Place, language: str, with_id: bool = False) -> Text:
    """The lesson to take next, marked as in a list of lessons (with its id, for a command line),
    or that every lesson is solved."""
    if place.next_lesson is None:
        if not place.total:
            return Text(tr("course.no_lessons", language))
        return Text(tr_count("course.all_solved", language, place.total), style=LESSON_STATE_STYLE[LessonState.SOLVED])
    title = place.next_lesson.title.get(language)
    words = (tr("course.next_id", language, lesson=place.next_lesson.id, title=title) if with_id
             else tr("course.next", language, title=title))
    return Text(f"{NEXT_MARK} {words}", style=NEXT_STYLE)


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
