"""Rich renderings of verdicts and diagnoses for the command line."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.core.i18n import tr
from tutor.core.results import Diagnosis, RunResult, Status

STATUS_STYLE = {
    Status.PASSED: "bold green",
    Status.FAILED: "bold red",
    Status.INVALID: "bold yellow",
    Status.TIMEOUT: "bold magenta",
    Status.CRASHED: "bold magenta",
    Status.ERROR: "bold red",
}

DIAGNOSIS_FIELDS = ("exception", "tensor_type", "shape", "op", "output_index", "version_found",
                    "version_expected", "failed_backward", "line")


def diagnosis_table(diagnosis: Diagnosis, language: str) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row(tr("label.kind", language), tr(f"kind.{diagnosis.kind.value}", language))
    for field in DIAGNOSIS_FIELDS:
        value = getattr(diagnosis, field)
        if value is not None:
            table.add_row(tr(f"label.{field}", language), str(value))
    if diagnosis.message:
        table.add_row(tr("label.message", language), Text(diagnosis.message or ""))
    return table


def gradient_table(result: RunResult, language: str) -> Table | None:
    wrong = [c for c in result.gradients if not c.matches]
    if not wrong:
        return None
    table = Table(title=tr("label.gradients_wrong", language), title_justify="left")
    table.add_column(tr("label.parameter", language))
    table.add_column(tr("label.max_abs_diff", language), justify="right")
    for comparison in wrong:
        shown = tr("label.missing", language) if comparison.missing else (
            "-" if comparison.max_abs_diff is None else f"{comparison.max_abs_diff:.3g}")
        table.add_row(comparison.name, shown)
    return table


def result_panel(result: RunResult, language: str) -> Panel:
    parts: list[RenderableType] = [Text(result.message)]
    if result.diagnosis is not None:
        parts += [Text(""), diagnosis_table(result.diagnosis, language)]
    gradients = gradient_table(result, language)
    if gradients is not None:
        parts += [Text(""), gradients]
    title = f"{result.lesson}: {tr(f'status.{result.status.value}', language)}"
    return Panel(Group(*parts), title=title, title_align="left", border_style=STATUS_STYLE[result.status],
                 subtitle=f"{result.duration_s:.2f} s", subtitle_align="right")
