"""The Tendril picker for Apply: every visible Tendril, only live ones selectable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from joblens.models import Tendril, TendrilStatus
from joblens.queue_wait import why_not_live

ANY_AVAILABLE = "__any__"


@dataclass(frozen=True, slots=True)
class TendrilChoice:
    """The picked Tendril; ``tendril_id`` None means "any available"."""

    tendril_id: str | None
    label: str


def tendril_option(tendril: Tendril, now: datetime) -> Option:
    """One row: status dot, name, mode and version; dimmed and disabled unless live."""
    live = tendril.is_live(now)
    if live:
        dot = Text("● ", style="green")
    elif tendril.status == TendrilStatus.DRAINING:
        dot = Text("◐ ", style="yellow")
    else:
        dot = Text("○ ", style="dim")
    text = Text.assemble(dot, (tendril.name, "bold" if live else "dim"))
    version = tendril.version
    if version and version[0].isdigit():
        version = f"v{version}"
    details = [d for d in (tendril.mode, version) if d]
    if tendril.is_default:
        details.insert(0, "default")
    if not live:
        details.append(why_not_live(tendril, now))
    if details:
        text.append("  " + " · ".join(details), style="dim")
    return Option(text, id=tendril.id, disabled=not live)


class TendrilPicker(ModalScreen[TendrilChoice | None]):
    """Pick where to apply a plan; dismisses with None when the user backs out."""

    BINDINGS = [Binding("escape", "dismiss_picker", "Back")]

    def __init__(self, tendrils: list[Tendril], title: str) -> None:
        super().__init__()
        self._tendrils = {t.id: t for t in tendrils}
        self._title = title

    def compose(self) -> ComposeResult:
        now = datetime.now(UTC)
        options = [Option(Text("★ Any available Tendril", style="bold"), id=ANY_AVAILABLE)]
        live_first = sorted(
            self._tendrils.values(), key=lambda t: (not t.is_live(now), not t.is_default, t.name)
        )
        options.extend(tendril_option(t, now) for t in live_first)
        with Vertical(id="dialog"):
            yield Static(Text(self._title, style="bold"), id="dialog-title")
            yield OptionList(*options, id="tendrils")
            yield Static(
                Text("Enter apply · Esc back · only live Tendrils can be chosen", style="dim"),
                id="dialog-hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        now = datetime.now(UTC)
        default = next(
            (t for t in self._tendrils.values() if t.is_default and t.is_live(now)), None
        )
        options.highlighted = options.get_option_index(default.id) if default is not None else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id
        if option_id == ANY_AVAILABLE or option_id is None:
            self.dismiss(TendrilChoice(None, "any available Tendril"))
            return
        tendril = self._tendrils[option_id]
        self.dismiss(TendrilChoice(tendril.id, tendril.name))

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)
