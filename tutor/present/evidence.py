"""The facts a scenario measured (`RunResult.evidence`), this run's against the control's.

One row per fact, in the order the stories read them: which parameters moved, the held-out
loss, the causal-leak and row-sum probes, the gradient ratio, whether and when training blew
up, the norm of the gradients a clipped step applied; the optimiser's step: accumulated
gradients against one backward over the whole batch, the learning rates a schedule gave, and
the warnings torch raised; what dropout did in each mode, the ops whose shapes broadcast
into a larger one, whether a tied head is still the embedding's Parameter and how
far the two drifted; for a checkpoint, what its loading left (the parameters that hold the
saved values, the keys torch reported, the loss), whether a stranger's file was refused and
its payload ran. The control's value of `key` arrives as
`control_<key>`. A fact no row here knows is still shown, under its own key, so nothing a
scenario reports is hidden. The sandbox sends a loss or ratio that was inf or nan as None: it
is said as such, never as a dash.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tutor.core.i18n import tr
from tutor.core.results import RunResult

CONTROL = "control_"
# How the run was made, not what it found (`runner_note` says why); and the loss of a one-step
# scenario, which no story reads and the compare pane gives.
HIDDEN = {"runner", "runner_fallback", "loss"}
# Facts in the order the stories tell the learner to read them. `losses`, the training curve
# the compare pane draws, gives two rows: its last loss, and when it turned inf or nan.
ORDER = ("moved", "frozen", "final_loss", "losses", "causal_leak", "rows_sum_to_one", "gradient_ratio",
         "diverged", "step_gradient_norm", "broadcasts", "one_parameter", "tie_gap",
         "accumulation_ratio", "first_learning_rate", "last_learning_rate", "warnings", "warning",
         "eval_loss", "repeat_gap", "mode_restored", "train_mode_steps", "val_losses", "eval_repeat_gap",
         "loaded", "missing_keys", "unexpected_keys", "loaded_loss",
         "stranger_refused", "payload_ran")
_LONGEST_LIST = 6  # an unknown list longer than this is a series, said by its ends
NAMED = ("frozen", "missing_keys", "unexpected_keys")  # facts that are lists of parameter names
# A state dict's keys come by the dozen, often all alike (`_orig_mod.` and a name): the first few say what.
_KEYS_SHOWN = {"missing_keys": 4, "unexpected_keys": 4}
Row = tuple[str, str, str]  # what was measured, this run's value, the control's ("" where not measured)
Value = Callable[[object, str], str]


def evidence_table(result: RunResult, language: str) -> RenderableType | None:
    """This run's facts against the control's, under a heading that says so, then the names of
    the parameters in a list fact (too long for a cell of a narrow pane); None when there are none."""
    rows = evidence_rows(result.evidence, language)
    if not rows:
        return None
    has_control = any(control for _, _, control in rows)
    table = Table(title=tr("evidence.title", language), title_justify="left", expand=True, show_edge=False,
                  box=None, padding=(0, 1))
    table.add_column(tr("evidence.measured", language), ratio=3, overflow="fold")
    table.add_column(tr("evidence.this_run", language), ratio=2, overflow="fold")
    if has_control:
        table.add_column(tr("evidence.control", language), ratio=2, overflow="fold")
    for label, mine, control in rows:
        table.add_row(label, Text(mine), *([Text(control)] if has_control else []))
    return Group(table, *name_lists(result.evidence, language))


def name_lists(evidence: dict[str, object], language: str) -> list[Text]:
    """Each non-empty list of names (`frozen`, a state dict's keys), said under the table whose row
    counts it: in full, or a state dict's first few keys."""
    lines = []
    for key in NAMED:
        for prefix, side in (("", "evidence.this_run"), (CONTROL, "evidence.control")):
            names = evidence.get(f"{prefix}{key}")
            if isinstance(names, list) and names:
                shown = names[: _KEYS_SHOWN.get(key, len(names))]
                more = f" (+{len(names) - len(shown)})" if len(shown) < len(names) else ""
                lines.append(Text.assemble((f"{tr(f'evidence.{key}', language)}, {tr(side, language).lower()}: ",
                                            "bold"), ", ".join(map(str, shown)) + more))
    return lines


def evidence_rows(evidence: dict[str, object], language: str) -> list[Row]:
    """One row per fact this run or the control measured: the known ones in story order, then any other."""
    mine = {key: value for key, value in evidence.items() if not key.startswith(CONTROL) and key not in HIDDEN}
    control = {key[len(CONTROL):]: value for key, value in evidence.items()
               if key.startswith(CONTROL) and key[len(CONTROL):] not in HIDDEN}
    measured = [*mine, *(key for key in control if key not in mine)]
    keys = [key for key in ORDER if key in measured] + [key for key in measured if key not in ORDER]
    rows: list[Row] = []
    for key in keys:
        if key == "losses":
            rows += _curve_rows(mine.get(key), control.get(key), "diverged" in measured, language)
        else:
            say = _FACTS.get(key, _generic)
            label = tr(f"evidence.{key}", language) if key in _FACTS else key
            rows.append((label, _side(mine, key, say, language), _side(control, key, say, language)))
    return rows


def _curve_rows(mine: object, control: object, can_diverge: bool, language: str) -> list[Row]:
    """The last step's training loss and, where training can blow up (or did), the first step
    whose loss was inf or nan."""
    curves = [curve if isinstance(curve, list) else None for curve in (mine, control)]
    mine_last, control_last = (_last_loss(curve, language) for curve in curves)
    rows: list[Row] = [(tr("evidence.last_loss", language), mine_last, control_last)]
    if can_diverge or any(curve and None in curve for curve in curves):
        mine_first, control_first = (_first_not_a_number(curve, language) for curve in curves)
        rows.append((tr("evidence.not_a_number_from", language), mine_first, control_first))
    return rows


def _last_loss(curve: list[object] | None, language: str) -> str:
    if not curve:
        return ""
    return tr("evidence.at_step", language, value=_number(curve[-1], language), step=len(curve))


def _first_not_a_number(curve: list[object] | None, language: str) -> str:
    if not curve:
        return ""
    step = next((index for index, loss in enumerate(curve, start=1) if loss is None), None)
    if step is None:
        return tr("evidence.never", language, steps=len(curve))
    return tr("evidence.step", language, step=step)


def _side(facts: dict[str, object], key: str, say: Value, language: str) -> str:
    return say(facts[key], language) if key in facts else ""


def _number(value: object, language: str) -> str:
    """A count or a measured float; None is a loss or ratio that was inf or nan (JSON has neither)."""
    if value is None:
        return tr("evidence.inf_or_nan", language)
    if not isinstance(value, float):
        return str(value)
    text = f"{value:.4g}"
    return text if any(mark in text for mark in ".en") else f"{text}.0"  # 2.0, not 2: the story's "2.0"


def _flag(value: object, language: str) -> str:
    return tr("evidence.yes" if value else "evidence.no", language) if isinstance(value, bool) else str(value)


def _words(value: object, language: str) -> str:
    """Text the run reported, such as a warning, as it was said."""
    return str(value)


def _count(value: object, language: str) -> str:
    """How many names a list holds (`name_lists` gives them)."""
    return str(len(value)) if isinstance(value, list) else str(value)


def _generic(value: object, language: str) -> str:
    """A fact no row knows: a flag, a number, or a list (a long one as its first and last value)."""
    if isinstance(value, bool):
        return _flag(value, language)
    if not isinstance(value, list):
        return _number(value, language)
    if len(value) > _LONGEST_LIST:
        return tr("evidence.series", language, first=_number(value[0], language), last=_number(value[-1], language),
                  count=len(value))
    return ", ".join(_number(item, language) for item in value) or tr("evidence.none", language)


# How each known fact's value is said; its label is the catalogue's `evidence.<key>`.
_FACTS: dict[str, Value] = {
    "moved": _number,
    "frozen": _count,
    "final_loss": _number,
    "causal_leak": _flag,
    "rows_sum_to_one": _flag,
    "gradient_ratio": _number,
    "diverged": _flag,
    "step_gradient_norm": _number,
    "eval_loss": _number,
    "repeat_gap": _number,
    "mode_restored": _flag,
    "train_mode_steps": _number,
    "val_losses": _generic,
    "eval_repeat_gap": _number,
    "loaded": _number,
    "missing_keys": _count,
    "unexpected_keys": _count,
    "loaded_loss": _number,
    "stranger_refused": _flag,
    "payload_ran": _flag,
    "broadcasts": _generic,
    "accumulation_ratio": _number,
    "first_learning_rate": _number,
    "last_learning_rate": _number,
    "warnings": _number,
    "warning": _words,
    "one_parameter": _flag,
    "tie_gap": _number,
}
