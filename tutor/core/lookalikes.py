"""Names that look alike: `аna` (Cyrillic а) or `ａｎａ` (fullwidth) beside `ana`.

A report lists learners by the name in their save's file; two names that render the
same would show one learner twice, or hide who is who. Each name gets a skeleton
(compatibility-folded, case-folded, common Cyrillic and Greek look-alikes mapped to
Latin); names that share one, or that mix scripts, are flagged with their scripts.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Cyrillic and Greek letters drawn like Latin ones (a subset of Unicode's confusables list).
_LATIN_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ϲ": "c", "ϳ": "j", "ѵ": "v", "ɑ": "a", "ı": "i", "ℓ": "l",
})


def skeleton(name: str) -> str:
    """What `name` looks like: equal skeletons are hard to tell apart on screen."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return folded.translate(_LATIN_LOOKALIKES)


def scripts(name: str) -> list[str]:
    """The scripts of the name's letters as Unicode names them (Latin, Cyrillic, Greek, ...), with
    fullwidth forms as their own, in order of first use."""
    found: list[str] = []
    for char in name:
        if not char.isalpha():
            continue
        words = unicodedata.name(char, "UNKNOWN").split()
        script = "Fullwidth" if words[0] == "FULLWIDTH" else words[0].capitalize()
        if script not in found:
            found.append(script)
    return found


@dataclass(frozen=True)
class LookAlike:
    scripts: list[str]  # of the flagged name
    looks_like: list[str]  # the other names with the same skeleton


def flag_lookalikes(names: Iterable[str]) -> dict[str, LookAlike]:
    """The names to flag: those that look like another name, and those mixing Latin with another
    script (or written in fullwidth forms). Names not flagged are absent."""
    names = list(names)
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        groups[skeleton(name)].append(name)
    flags = {}
    for name in names:
        own = scripts(name)
        twins = [other for other in groups[skeleton(name)] if other != name]
        mixed = "Latin" in own and len(own) > 1
        if twins or mixed or "Fullwidth" in own:
            flags[name] = LookAlike(own, twins)
    return flags
