"""The shape of the house: data flows one way (docs/architecture.md)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mailbot"
# "No module over ~350 lines" (DEVELOPERS.md).
LONGEST = 350


def _imports(directory: Path) -> dict[str, set[str]]:
    """Every module a package's files import, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE.parent))] = names
    return found


def test_the_core_imports_nothing_but_the_standard_library_and_itself() -> None:
    for path, names in _imports(PACKAGE / "core").items():
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or name.startswith("mailbot.core"), (
                f"{path} imports {name}"
            )


def test_the_store_knows_nothing_of_the_shell_rendering_or_composing() -> None:
    for path, names in _imports(PACKAGE / "store").items():
        for name in names:
            assert not name.startswith(("mailbot.shell", "mailbot.outbound")), (
                f"{path} imports {name}"
            )


def test_no_module_is_much_over_350_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > LONGEST
    }
    assert long == {}
