"""A run's verdict: torch's error as a card of labelled fields, the tensors that differ
from the control, and for the command line the whole verdict as one panel (with the
scenario's evidence, tutor/present/evidence.py)."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.core.i18n import say, tr
from tutor.core.results import Diagnosis, RunResult, Status, TensorComparison
from tutor.present.evidence import evidence_table

STATUS_STYLE = {
    Status.PASSED: "bold green",
    Status.FAILED: "bold red",
    Status.INVALID: "bold yellow",
    Status.TIMEOUT: "bold magenta",
    Status.CRASHED: "bold magenta",
    Status.ERROR: "bold red",
}


def verdict_text(result: RunResult, language: str) -> str:
    """The verdict said in `language` (a result read back from JSON keeps only its English message)."""
    return say(result.wording, language) if result.wording else result.message


def runner_note(result: RunResult, language: str) -> str | None:
    """Why a run went cold although the tutor has a warm runner, for the learner; None otherwise."""
    reason = result.evidence.get("runner_fallback")
    if not isinstance(reason, str):
        return None
    return tr("runner.fallback", language, why=tr(f"runner.fallback.{reason}", language))


def contract(result: RunResult, language: str) -> dict[str, object]:
    """The `check --json` object, its message in `language`."""
    return json.loads(result.model_copy(update={"message": verdict_text(result, language)}).contract_json())


def diagnosis_card(diagnosis: Diagnosis, language: str, verdict: str = "") -> RenderableType:
    """Only the fields torch gave: an absent field is left out, never guessed. The kind in plain
    words is left out too when the verdict above the card already says it."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: object) -> None:
        if value is not None:
            grid.add_row(tr(f"label.{label}", language), Text(str(value)))

    kind = tr(f"kind.{diagnosis.kind.value}", language)
    row("kind", None if kind in verdict else kind)
    row("exception", diagnosis.exception)
    row("tensor_type", diagnosis.tensor_type)
    row("dtype", diagnosis.dtype)
    row("shape", None if diagnosis.shape is None else f"[{', '.join(map(str, diagnosis.shape))}]")
    row("op", diagnosis.op)
    row("printed_op", None if diagnosis.printed_op == diagnosis.op else diagnosis.printed_op)
    row("version_found", diagnosis.version_found)
    row("version_expected", diagnosis.version_expected)
    row("failed_backward", diagnosis.failed_backward)
    row("missing_keys", _keys(diagnosis.missing_keys))
    row("unexpected_keys", _keys(diagnosis.unexpected_keys))
    row("refused_global", diagnosis.refused_global)
    row("line", diagnosis.line)
    row("message", diagnosis.message)  # torch's own words, verbatim
    return grid


_KEYS_SHOWN = 4  # torch's message, in the card too, lists them all


def _keys(keys: list[str] | None) -> str | None:
    """A state dict's keys: how many, and the first few."""
    if keys is None:
        return None
    shown = ", ".join(keys[:_KEYS_SHOWN]) + (", …" if len(keys) > _KEYS_SHOWN else "")
    return f"{len(keys)}: {shown}" if keys else "0"


def gradients_table(result: RunResult, language: str) -> RenderableType | None:
    """The compared tensors that are missing or differ, under a heading that names what was
    compared (gradients, or parameters after training); None when every one matches."""
    wrong = [item for item in result.gradients if item.missing or not item.matches]
    if not wrong:
        return None
    heading = tr(f"label.differ.{result.subject or 'gradients'}", language)
    table = Table(title=heading, title_justify="left", expand=True, show_edge=False, box=None, padding=(0, 1))
    table.add_column(tr("label.parameter", language), overflow="fold")
    table.add_column(tr("label.max_abs_diff", language), justify="right", no_wrap=True)
    for item in wrong:
        table.add_row(item.name, _difference(item, language))
    return table


def _difference(item: TensorComparison, language: str) -> str:
    """The largest difference (nan and inf as such); a tensor absent on one side is missing, one of
    another shape or type has no difference: it is not comparable."""
    if item.missing:
        return tr("label.missing", language)
    return tr("label.not_comparable", language) if item.max_abs_diff is None else f"{item.max_abs_diff:.3g}"


def known_wrong_fix(why: str, language: str) -> Text:
    """A run that behaves like a wrong fix the lesson lists: why that fix is wrong."""
    return Text.assemble((tr("verdict.known_wrong_fix", language), "bold yellow"), " ", why)


def result_panel(result: RunResult, language: str, wrong_fix_why: str | None = None) -> Panel:
    """The command line's verdict: the message, a known wrong fix's why, the card, the
    scenario's evidence against the control's, the tensors that differ, the time taken."""
    message = verdict_text(result, language)
    parts: list[RenderableType] = [Text(message)]
    note = runner_note(result, language)
    if note:
        parts.append(Text(note, style="dim"))
    if wrong_fix_why is not None:
        parts += [Text(""), known_wrong_fix(wrong_fix_why, language)]
    if result.diagnosis is not None:
        parts += [Text(""), diagnosis_card(result.diagnosis, language, message)]
    for table in (evidence_table(result, language), gradients_table(result, language)):
        if table is not None:
            parts += [Text(""), table]
    title = f"{result.lesson}: {tr(f'status.{result.status.value}', language)}"
    return Panel(Group(*parts), title=title, title_align="left", border_style=STATUS_STYLE[result.status],
                 subtitle=f"{result.duration_s:.2f} s", subtitle_align="right")
