"""The distribution carries every package of the checkout and the data they read."""

from __future__ import annotations

from pathlib import Path

from tutor.core.tomlread import load_toml_text

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_of_the_checkout_is_listed() -> None:
    config = load_toml_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), "pyproject.toml")["tool"]["setuptools"]
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for top in ("tutor", "minigpt") for init in (ROOT / top).rglob("__init__.py")}
    assert on_disk <= set(config["packages"])
    assert config["package-dir"]["tutor.lessons"] == "lessons"
    data = config["package-data"]
    assert "*.tcss" in data["tutor.ui"] and "*.toml" in data["tutor.locales"] and "corpus.txt" in data["minigpt"]
