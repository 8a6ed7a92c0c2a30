"""The top line: who is learning, where, in which language, and whether anomaly mode is on."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tutor.core.i18n import tr


class StatusLine(Static):
    def show(self, place: str, learner: str, language: str, anomaly: bool | None = None) -> None:
        """`anomaly` is None where runs do not happen (the course screen)."""
        line = Text.assemble(("minigpt-tutor", "bold"), " · ", place, " · ", tr("ui.status.learner", language, name=learner))
        if anomaly is not None:
            state = tr("ui.anomaly.on" if anomaly else "ui.anomaly.off", language)
            line.append(" · ")
            line.append(tr("ui.status.anomaly", language, state=state), style="reverse bold" if anomaly else "")
        line.append(" · ")
        line.append(tr("ui.status.language", language))
        self.update(line)
