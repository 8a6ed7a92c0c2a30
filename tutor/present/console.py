"""The console the commands print to, and how an error is said on it."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console


def console_for(stream: TextIO | None = None) -> Console:
    """Rich honours NO_COLOR and plain pipes on its own."""
    return Console(file=stream, highlight=False)


def print_error(message: str) -> None:
    """A usage or input error, on stderr, in one line."""
    console_for(sys.stderr).print(f"[bold red]error:[/] {message}", highlight=False)


def print_notice(message: str) -> None:
    """A warning that does not stop the command (a damaged save set aside, a lesson not loaded)."""
    console_for(sys.stderr).print(f"[yellow]{message}[/]", highlight=False)
