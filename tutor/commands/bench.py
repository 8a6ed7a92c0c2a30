"""`minigpt-tutor bench`: how fast a run feels and what one learner's session costs, here.

Every figure is measured in one go on this machine: run-to-verdict latency of the
in-place lesson's starter and fix through the warm and the cold runner, then of every
lesson's starter and fix through the warm runner, the tutor's
start-up to its first screen (headless, and in tmux as a learner sees it, with the time
to quit from an open lesson), the memory of one learner's session (the
tutor's process plus its warm runner) and the time of `validate` over the whole course.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.table import Table

from tutor.bench.lessons import SLOWEST_TARGET_S, lesson_figures
from tutor.commands.common import CommandError, course, lesson_named
from tutor.core.i18n import tr
from tutor.core.lessons import Lesson
from tutor.core.runner import run_block
from tutor.core.settings import Settings
from tutor.core.warm import RunnerSession
from tutor.present.console import console_for, print_notice

LESSON = "inplace-residual"
MIN_RUNS = 20
LESSON_RUNS = 5
# The targets of a 2-core classroom machine: 40 learners on 16 GB.
TARGETS = {"warm_median_s": 0.150, "warm_cold_ratio": 0.12, "startup_s": 0.7, "terminal_startup_s": 0.7,
           "terminal_quit_s": 0.5, "session_rss_mb": 350.0}
_PROBE_TIMEOUT_S = 120


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="measure run latency, start-up, memory and validate on this machine",
                                   description="Measure, on this machine: run-to-verdict latency warm and cold, "
                                   "start-up to the first screen, one session's memory and `validate` over the course.")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--runs", type=int, default=MIN_RUNS, metavar="N",
                        help=f"runs per runner, alternating starter and fix (at least {MIN_RUNS})")
    parser.add_argument("--lesson-runs", type=int, default=LESSON_RUNS, metavar="N",
                        help=f"warm runs of each lesson's starter and of its fix (default {LESSON_RUNS})")
    parser.add_argument("--classroom", type=int, metavar="N",
                        help="instead: N learners at once, each a headless tutor session with its own warm runner, "
                        "each running a block every few seconds")
    parser.add_argument("--seconds", type=float, default=60.0, metavar="S",
                        help="with --classroom: how long the learners run blocks (default 60)")
    parser.add_argument("--interval", type=float, default=5.0, metavar="S",
                        help="with --classroom: seconds between one learner's runs, on average (default 5)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.classroom is not None:
        return run_classroom_bench(args, settings)
    if args.runs < MIN_RUNS:
        raise CommandError(f"--runs must be at least {MIN_RUNS}")
    if not 1 <= args.lesson_runs <= 100:
        raise CommandError("--lesson-runs takes 1 to 100 runs")
    chosen = lesson_named(settings, LESSON)
    warm, cold = latencies(chosen, args.runs)
    try:
        per_lesson = lesson_figures(course(settings), args.lesson_runs)
    except RuntimeError as error:
        raise CommandError(str(error)) from None
    figures: dict[str, object] = {
        "warm_median_s": _round(statistics.median(warm)),
        "cold_median_s": _round(statistics.median(cold)),
        "warm_p90_s": _round(p90(warm)),
        "cold_p90_s": _round(p90(cold)),
        "warm_cold_ratio": _round(statistics.median(warm) / statistics.median(cold)),
        "runs": args.runs,
        **session_figures(),
        **terminal_or_none(),
        **validate_figures(),
        "lessons": per_lesson,
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        console = console_for()
        console.print(figures_table(figures, settings.language))
        console.print(lessons_table(per_lesson, args.lesson_runs, settings.language))
    return 0


def run_classroom_bench(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.bench.classroom import TARGETS, run_classroom

    if not 1 <= args.classroom <= 200 or not 1 <= args.seconds <= 3600 or not 0.5 <= args.interval <= 600:
        raise CommandError("--classroom takes 1 to 200 learners, --seconds 1 to 3600, --interval 0.5 to 600")
    try:
        figures = {**run_classroom(args.classroom, args.seconds, args.interval), "machine": machine()}
    except RuntimeError as error:
        raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps(figures))
        return 0
    lang = settings.language
    box = figures["machine"]
    table = Table(title=tr("bench.classroom.title", lang, learners=args.classroom, seconds=f"{args.seconds:g}",
                           interval=f"{args.interval:g}", cpus=box["cpus"], ram=box["ram_gb"]))
    for header in ("measure", "value", "target"):
        table.add_column(tr(f"bench.{header}", lang), justify="left" if header == "measure" else "right")
    rows = [("runs", str(figures["runs"]), ""),
            ("p50", _shown(figures["p50_s"], "s"), ""),
            ("p90", _shown(figures["p90_s"], "s"), _limit(figures["p90_s"], TARGETS["p90_s"], "s", lang)),
            ("max", _shown(figures["max_s"], "s"), ""),
            ("false_timeouts", str(figures["false_timeouts"]),
             _limit(figures["false_timeouts"], TARGETS["false_timeouts"], "", lang)),
            ("wrong_verdicts", str(figures["wrong_verdicts"]), ""),
            ("cold_runs", str(figures["cold_runs"]), ""),
            ("pss_mean", _shown(figures["pss_mean_mb"], "MB"), _limit(figures["pss_mean_mb"], TARGETS["pss_mb"], "MB",
                                                                      lang)),
            ("pss_max", _shown(figures["pss_max_mb"], "MB"), _limit(figures["pss_max_mb"], TARGETS["pss_mb"], "MB",
                                                                    lang))]
    for key, value, target in rows:
        table.add_row(tr(f"bench.classroom.{key}", lang), value, target)
    console_for().print(table)
    return 0


def _limit(value: float, limit: float, unit: str, lang: str) -> str:
    met = value <= limit
    verdict = tr("bench.met" if met else "bench.missed", lang)
    return f"≤ {_shown(limit, unit)} [{'green' if met else 'red'}]{verdict}[/]"


def latencies(chosen: Lesson, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from asking for a run to holding its verdict, warm then cold, after one warm-up each."""
    blocks = [chosen.code.starter, chosen.code.fix]

    def timed(**options: object) -> list[float]:
        run_block(chosen, blocks[0], **options)  # warm-up: page faults, disk cache
        seconds = []
        for index in range(runs):
            started = time.perf_counter()
            run_block(chosen, blocks[index % 2], **options)
            seconds.append(time.perf_counter() - started)
        return seconds

    with RunnerSession() as session:
        if not session.wait_ready():
            raise CommandError("the warm runner did not start; nothing to measure")
        warm = timed(session=session)
    return warm, timed()


def session_figures() -> dict[str, object]:
    """Start the tutor headless in a child, as a learner would, and read what it reports."""
    with tempfile.TemporaryDirectory(prefix="minigpt-tutor-bench-") as saves:
        started = time.perf_counter()
        probe = subprocess.Popen([sys.executable, "-m", "tutor.ui.probe", saves, LESSON],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            first = probe.stdout.readline()  # type: ignore[union-attr]
            startup = time.perf_counter() - started
            rest, errors = probe.communicate(timeout=_PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            probe.kill()
            raise CommandError("the tutor did not start headless in time") from None
    if first.strip() != "mounted" or probe.returncode != 0:
        raise CommandError(f"the tutor did not start headless: {errors.strip()[-500:]}")
    figures = json.loads(rest)
    return {"startup_s": _round(startup), **figures}


def terminal_or_none() -> dict[str, object]:
    """Start-up and quitting in tmux, as a learner sees them; None where tmux is missing."""
    from tutor.bench.terminal import TerminalGone, terminal_figures

    try:
        return dict(terminal_figures())
    except TerminalGone as error:
        print_notice(f"not measured in a terminal: {error}")
        return {"terminal_startup_s": None, "terminal_quit_s": None}


def validate_figures() -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tutor", "validate", "--json"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {}
    return {"validate_s": _round(seconds, 2), "validate_ok": done.returncode == 0,
            "validate_claims": len(report.get("claims", []))}


def machine() -> dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), "")
    total_kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal:")), 0)
    return {"cpus": os.cpu_count(), "cpu_model": model, "ram_gb": round(total_kb / 2**20, 1),
            "python": sys.version.split()[0]}


def figures_table(figures: dict[str, object], lang: str) -> Table:
    box = figures["machine"]
    assert isinstance(box, dict)
    table = Table(title=tr("bench.title", lang, cpus=box["cpus"], model=box["cpu_model"], ram=box["ram_gb"]))
    for header in ("measure", "value", "target"):
        table.add_column(tr(f"bench.{header}", lang), justify="left" if header == "measure" else "right")
    rows = [
        ("warm_median", _shown(figures["warm_median_s"], "s"), "warm_median_s"),
        ("warm_p90", _shown(figures["warm_p90_s"], "s"), None),
        ("cold_median", _shown(figures["cold_median_s"], "s"), None),
        ("cold_p90", _shown(figures["cold_p90_s"], "s"), None),
        ("ratio", _shown(figures["warm_cold_ratio"], ""), "warm_cold_ratio"),
        ("startup", _shown(figures["startup_s"], "s"), "startup_s"),
        ("terminal_startup", _shown(figures["terminal_startup_s"], "s"), "terminal_startup_s"),
        ("terminal_quit", _shown(figures["terminal_quit_s"], "s"), "terminal_quit_s"),
        ("ui_torch", tr("bench.yes" if figures["ui_imports_torch"] else "bench.no", lang), None),
        ("ui_rss", _shown(figures["ui_rss_mb"], "MB"), None),
        ("warm_rss", _shown(figures["warm_runner_rss_mb"], "MB"), None),
        ("session_rss", _shown(figures["session_rss_mb"], "MB"), "session_rss_mb"),
        ("session_pss", _shown(figures["session_pss_mb"], "MB"), None),
        ("validate", _shown(figures["validate_s"], "s"), None),
        ("validate_ok", tr("bench.yes" if figures["validate_ok"] else "bench.no", lang), None),
    ]
    for key, value, target in rows:
        table.add_row(tr(f"bench.row.{key}", lang, runs=figures["runs"], claims=figures["validate_claims"]),
                      value, _target(figures, target, lang))
    return table


def lessons_table(per_lesson: list[dict[str, object]], runs: int, lang: str) -> Table:
    table = Table(title=tr("bench.lessons.title", lang, runs=runs))
    for header in ("lesson", "starter", "fix", "slowest", "target"):
        table.add_column(tr(f"bench.lessons.{header}", lang), justify="left" if header == "lesson" else "right",
                         no_wrap=header == "lesson")  # the id is what one types
    for row in per_lesson:
        target = row["target_s"]
        assert isinstance(target, float)
        slowest = row["slowest_s"]
        medians = [row["starter_median_s"], row["fix_median_s"]]
        met = all(isinstance(value, float) and value <= target for value in medians) and \
            isinstance(slowest, float) and slowest <= SLOWEST_TARGET_S
        verdict = tr("bench.met" if met else "bench.missed", lang)
        table.add_row(f"{row['order']:>2} {row['lesson']}", *(_shown(value, "s") for value in medians),
                      _shown(slowest, "s"), f"≤ {_shown(target, 's')} [{'green' if met else 'red'}]{verdict}[/]")
    return table


def _target(figures: dict[str, object], key: str | None, lang: str) -> str:
    if key is None:
        return ""
    limit, value = TARGETS[key], figures[key]
    if value is None:
        return ""  # not measured here
    met = isinstance(value, (int, float)) and value <= limit
    unit = "MB" if key.endswith("_mb") else "s" if key.endswith("_s") else ""
    verdict = tr("bench.met" if met else "bench.missed", lang)
    return f"≤ {_shown(limit, unit)} [{'green' if met else 'red'}]{verdict}[/]"


def _shown(value: object, unit: str) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    number = f"{value:.0f}" if unit == "MB" else f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{number} {unit}".rstrip()


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def _round(value: float, digits: int = 4) -> float:
    return round(value, digits)


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []
