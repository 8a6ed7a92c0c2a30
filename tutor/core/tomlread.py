"""One TOML reader for the whole tutor: tomllib, or tomli before Python 3.11."""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


def load_toml_text(text: str, source: str) -> dict[str, Any]:
    """Parse TOML; a syntax error names `source` and keeps tomllib's line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TomlSyntaxError(source, str(error)) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise TomlSyntaxError(source, "arrays or tables nested too deeply") from None


class TomlSyntaxError(ValueError):
    def __init__(self, source: str, detail: str) -> None:
        super().__init__(f"{source}: TOML syntax error: {detail}")
        self.source = source
        self.detail = detail
