"""The class report for people: every name as text (never as markup), the account owning a save where
it is not the learner it names, look-alike names flagged, and with `--verify` how each solve held up."""

from __future__ import annotations

from rich import box
from rich.markup import escape
from rich.table import Table

from tutor.core.classreport import ClassReport, LearnerEntry, Verification
from tutor.core.i18n import tr, tr_count
from tutor.core.progress import MAX_HINT_RUNG
from tutor.present.console import console_for, print_notice
from tutor.present.progress import format_duration, state_width, state_word

VERIFICATION_STYLE = {Verification.VERIFIED: "green", Verification.NOT_REPRODUCED: "bold red",
                      Verification.NO_BLOCK: "yellow"}


def learner_cell(entry: LearnerEntry, lang: str) -> str:
    """The learner's name as text, then what the teacher should know about it."""
    lines = [escape(entry.learner)]
    if not entry.owner_is_learner:
        lines.append(f"[bold red]{escape(tr('report.owned_by', lang, owner=entry.owner))}[/]")
    if entry.lookalike is not None:
        note = tr("report.lookalike", lang, scripts="+".join(entry.lookalike.scripts))
        if entry.lookalike.looks_like:
            note += " " + tr("report.looks_like", lang, names=", ".join(entry.lookalike.looks_like))
        lines.append(f"[bold yellow]{escape(note)}[/]")
    return "\n".join(lines)


def verification_text(report: ClassReport, entry: LearnerEntry, lesson_id: str, lang: str) -> str:
    verification = report.verification.get((entry.learner, lesson_id))
    if verification is None:
        return ""
    return f"[{VERIFICATION_STYLE[verification]}]{tr(f'report.verification.{verification.value}', lang)}[/]"


def print_tables(report: ClassReport, lang: str) -> None:
    """One row per learner and lesson opened (long, so it fits any terminal), then the summary."""
    console = console_for()
    rows = Table(title=escape(tr_count("report.title", lang, len(report.entries), folder=report.saves_dir)),
                 title_justify="left", box=box.SIMPLE_HEAD)
    rows.add_column(tr("report.learner", lang), overflow="fold")
    rows.add_column(tr("report.column.lesson", lang), no_wrap=True)
    rows.add_column(tr("progress.column.state", lang), min_width=state_width(lang))
    for header in ("attempts", "hint", "time"):
        rows.add_column(tr(f"progress.column.{header}", lang), justify="right", no_wrap=header == "time")
    if report.verified:
        rows.add_column(tr("report.column.verified", lang))
    for entry in report.entries:
        opened = [(i, entry.save.lessons[i]) for i in report.lessons if i in entry.save.lessons]
        name = learner_cell(entry, lang)
        if not opened:
            rows.add_row(name, tr("report.nothing_opened", lang), end_section=True)
        for n, (lesson_id, progress) in enumerate(opened):
            cells = [name if n == 0 else "", lesson_id, state_word(progress.state, lang), str(progress.attempts),
                     f"{progress.hint_rung}/{MAX_HINT_RUNG}", format_duration(progress.time_spent_s)]
            if report.verified:
                cells.append(verification_text(report, entry, lesson_id, lang))
            rows.add_row(*cells, end_section=n == len(opened) - 1)
    console.print(rows)

    summary = Table(title=tr("report.summary_title", lang), title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("lesson", "attempted", "solved", "median_attempts", "direct_hint"):
        summary.add_column(tr(f"report.column.{header}", lang), justify="left" if header == "lesson" else "right",
                           no_wrap=header == "lesson")
    for s in report.summary:
        median_text = "-" if s.median_attempts is None else f"{s.median_attempts:g}"
        summary.add_row(s.lesson, f"{s.attempted}/{s.learners}", f"{s.solved}/{s.learners}", median_text,
                        f"{s.direct_hint}/{s.learners}")
    console.print(summary)
    for problem in report.unreadable:
        print_notice(escape(tr("report.unreadable", lang, **problem)))
