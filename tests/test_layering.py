"""The layers stay apart: the screens and widgets know where jobs live only through the backend
interface (joblens.backends.base), and ``joblens --help`` loads neither the TUI nor the Supabase
client (a user asking for help waits for neither)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import joblens

PACKAGE = Path(joblens.__file__).resolve().parent
#: Where the view lives: it may import joblens.backends(.base), never a backend itself.
VIEW_PACKAGES = ("screens", "widgets")
CONCRETE_BACKENDS = ("joblens.backends.demo", "joblens.backends.supabase")
#: What `joblens --help` must not load: the TUI and the Supabase client with its parts.
HEAVY = ("textual", "supabase", "realtime", "postgrest", "supabase_auth")


def view_modules() -> list[Path]:
    return sorted(path for name in VIEW_PACKAGES for path in (PACKAGE / name).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file, anywhere in it (functions and
    TYPE_CHECKING blocks too); relative imports resolved, each ``from X import y`` also
    given as ``X.y`` (y may be a module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def is_concrete_backend(module: str) -> bool:
    return any(module == b or module.startswith(f"{b}.") for b in CONCRETE_BACKENDS)


def loaded_after(code: str) -> list[str]:
    """The modules loaded by a fresh interpreter once it has run ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_the_view_modules_are_found() -> None:
    names = {module_name(path) for path in view_modules()}
    assert {"joblens.screens.job_screen", "joblens.widgets.log.pane"} <= names


@pytest.mark.parametrize("path", view_modules(), ids=module_name)
def test_screens_and_widgets_never_import_a_concrete_backend(path: Path) -> None:
    found = [f"line {n}: {m}" for n, m in imported_names(path) if is_concrete_backend(m)]
    assert found == [], f"{module_name(path)} imports a backend; use joblens.backends.base"


def test_the_view_loads_no_concrete_backend_even_indirectly() -> None:
    imports = "\n".join(f"import {module_name(path)}" for path in view_modules())
    loaded = loaded_after(imports)
    assert [m for m in loaded if is_concrete_backend(m)] == []
    assert "joblens.backends.base" in loaded  # the probe did import the view


def test_help_loads_neither_textual_nor_supabase() -> None:
    # The installed command's own entry point (`joblens = "joblens.cli:run"`), given --help.
    code = (
        "import contextlib, io, sys\n"
        "sys.argv = ['joblens', '--help']\n"
        "from joblens.cli import run\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        run()\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code"
    )
    loaded = loaded_after(code)
    assert "joblens.cli" in loaded and "click" in loaded  # the probe did run the command
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []
