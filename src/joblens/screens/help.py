"""The help screen (``?``, F1): every key, grouped by where it works.

Built from the ``BINDINGS`` of the screens and widgets that own the keys, so a key added,
renamed or re-described there shows here as it is, and nothing is copied by hand. Only the
short line under each heading (what the keys share, or where they work) is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Static

from joblens.screens.job_list import JobListScreen
from joblens.screens.job_screen import JobScreen
from joblens.widgets.error_digest import DiagnosticList
from joblens.widgets.job_table import JobTable
from joblens.widgets.json_tree import JsonTree
from joblens.widgets.log import LogPane, LogView
from joblens.widgets.log.search_bar import LogFilterBar, LogSearchBar

#: The keys that open the help (the app's binding) and, with Esc and q, close it.
HELP_KEYS = "question_mark,f1"

#: The job screen's keys that act on the log, and those that open a panel (by action name);
#: the rest of its keys act on the job.
_LOG_ACTIONS = frozenset({"search", "copy_visible", "save_log", "page_log"})
_PANEL_ACTIONS = frozenset({"toggle_panel", "toggle_errors"})

#: The key column's width: the widest keys ("Home g", "Ctrl+P") and a little.
KEY_COLUMN = 8

#: How keys read here where Textual's own names are terse or symbols.
_KEY_NAMES = {
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "tab": "Tab",
}


@dataclass(frozen=True)
class KeySection:
    """Keys that work in one place: a line saying where (or what they share), then
    (keys, description) rows."""

    note: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class KeyGroup:
    """A heading ("Job", "Log", ...) and its sections."""

    title: str
    sections: tuple[KeySection, ...]


def key_label(key: str) -> str:
    """One key as a person reads it: ``ctrl+r`` is Ctrl+R, ``pageup`` PgUp, ``G`` stays G."""
    *modifiers, name = key.split("+")
    shown = _KEY_NAMES.get(name) or format_key(name)
    if modifiers:
        shown = shown.upper() if len(shown) == 1 else shown
    elif len(shown) > 1 and shown.isalnum():
        shown = shown[0].upper() + shown[1:]  # home: Home, f1: F1
    return "+".join([*(m.capitalize() for m in modifiers), shown])


def binding_keys(binding: Binding) -> str:
    """The keys of ``binding`` as the help shows them: its key_display, or each of its keys."""
    if binding.key_display:
        return binding.key_display
    return " ".join(key_label(key.strip()) for key in binding.key.split(","))


def _bindings(declared: Iterable[BindingType]) -> list[Binding]:
    """The Binding objects of a BINDINGS list (tuples are Textual's short form)."""
    return [b if isinstance(b, Binding) else Binding(*b) for b in declared]


def _action_name(binding: Binding) -> str:
    return binding.action.partition("(")[0]


def key_rows(bindings: Iterable[Binding]) -> tuple[tuple[str, str], ...]:
    """(keys, description) rows, in order: a key's second binding for the same thing (the
    footer's and the hidden pair of ``e``) once; system bindings (a key's fallback that says
    why it does not apply now) not at all."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        row = (binding_keys(binding), binding.description)
        if binding.system or not binding.description or row in rows:
            continue
        rows.append(row)
    return tuple(rows)


def list_keys() -> KeyGroup:
    """The jobs list's keys (its screen's and its table's)."""
    return KeyGroup(
        "Jobs list",
        (
            KeySection(
                "In the list of your jobs (joblens, joblens list). Esc in a job opened from it "
                "comes back to it; the list stays live meanwhile.",
                key_rows([*_bindings(JobTable.BINDINGS), *_bindings(JobListScreen.BINDINGS)]),
            ),
        ),
    )


def key_groups(app: App[Any], *, on_list: bool = False) -> tuple[KeyGroup, ...]:
    """Every key of the job view, by where it works, as their BINDINGS declare them; over the
    jobs list (``on_list``), the list's keys first."""
    job_groups = _job_groups(app)
    return (list_keys(), *job_groups) if on_list else job_groups


def _job_groups(app: App[Any]) -> tuple[KeyGroup, ...]:
    screen = _bindings(JobScreen.BINDINGS)
    return (
        KeyGroup(
            "Job",
            (
                KeySection(
                    "On the job, wherever the focus is. A key that does not apply to the job "
                    "now says why.",
                    key_rows(
                        b for b in screen if _action_name(b) not in _LOG_ACTIONS | _PANEL_ACTIONS
                    ),
                ),
            ),
        ),
        KeyGroup(
            "Log",
            (
                KeySection(
                    "In the log. Scrolling up pauses following; End or G follows again. "
                    "1, 2 and 3 hide or show a stream's lines.",
                    key_rows(
                        [
                            *(b for b in screen if _action_name(b) in _LOG_ACTIONS),
                            *_bindings(LogView.BINDINGS),
                            *_bindings(LogPane.BINDINGS),
                        ]
                    ),
                ),
            ),
        ),
        KeyGroup(
            "Search and filter",
            (
                KeySection(
                    "In the field that / (search) or f (filter) opens. A capital letter makes "
                    "the text exact; in the filter, !text hides the lines with it.",
                    key_rows(
                        [*_bindings(LogSearchBar.BINDINGS), *_bindings(LogFilterBar.BINDINGS)]
                    ),
                ),
            ),
        ),
        KeyGroup(
            "Panels",
            (
                KeySection(
                    "Open or close a panel under the log.",
                    key_rows(b for b in screen if _action_name(b) in _PANEL_ACTIONS),
                ),
                KeySection("In the Errors list.", key_rows(_bindings(DiagnosticList.BINDINGS))),
                KeySection("In a large JSON panel.", key_rows(_bindings(JsonTree.BINDINGS))),
            ),
        ),
        KeyGroup(
            "App",
            (
                KeySection(
                    "Anywhere. The palette finds every action by name.",
                    key_rows(
                        [
                            *_bindings(app.BINDINGS),
                            Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "Palette"),
                        ]
                    ),
                ),
            ),
        ),
    )


class KeyTable(Static):
    """A section's rows: keys in a column, their descriptions wrapped word by word beside."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-table--key"}

    DEFAULT_CSS = """
    KeyTable {
        height: auto;
        & > .key-table--key {
            color: $accent;
            text-style: bold;
        }
    }
    """

    def __init__(self, rows: Sequence[tuple[str, str]], *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.rows = tuple(rows)

    def render(self) -> Table:
        table = Table.grid(padding=(0, 2))
        key_style = self.get_component_rich_style("key-table--key")
        # One width for every section's keys, so the descriptions line up down the screen.
        table.add_column(no_wrap=True, min_width=KEY_COLUMN, style=key_style)
        table.add_column(ratio=1)
        for keys, description in self.rows:
            table.add_row(Text(keys), Text(description))
        return table


class HelpScreen(ModalScreen[None]):
    """Every key, by where it works; Esc, q, ? or F1 closes it, the arrows scroll it."""

    BINDINGS = [Binding(f"escape,q,{HELP_KEYS}", "close", "Close")]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help-dialog {
            width: 100%;
            max-width: 88;
            height: 36;
            max-height: 100%;
            background: $panel;
            border: round $primary;
            border-title-style: bold;
            border-subtitle-color: $text-muted;
            padding: 0 1;
        }
        & #help-keys {
            height: 1fr;
            background: $panel;
        }
        & .help-heading {
            text-style: bold;
            color: $text-primary;
            margin-top: 1;
        }
        & .help-heading.-first {
            margin-top: 0;
        }
        & .help-note {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog") as dialog:
            dialog.border_title = "Keys"
            dialog.border_subtitle = "Esc closes · ↑ ↓ PgUp PgDn scroll"
            with VerticalScroll(id="help-keys"):
                for index, group in enumerate(key_groups(self.app, on_list=self._on_list())):
                    first = " -first" if index == 0 else ""
                    yield Static(Text(group.title), classes=f"help-heading{first}")
                    for section in group.sections:
                        yield Static(Text(section.note), classes="help-note")
                        yield KeyTable(section.rows)

    def _on_list(self) -> bool:
        """Whether the help was opened over the jobs list (its keys then come first)."""
        below = [screen for screen in self.app.screen_stack if screen is not self]
        return bool(below) and isinstance(below[-1], JobListScreen)

    def on_mount(self) -> None:
        self.query_one("#help-keys", VerticalScroll).focus()  # so the arrows scroll it

    def action_close(self) -> None:
        self.dismiss(None)
