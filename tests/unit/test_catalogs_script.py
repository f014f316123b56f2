"""`scripts/catalogs` on a copy of the repo's words: a run that changes no message leaves
every catalog byte for byte as it was (no new POT-Creation-Date), also when messages only
moved to other lines (the catalogs name files, not lines), and a new message reaches
every catalog."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _catalogs(root: Path) -> dict[str, bytes]:
    catalogs = root.glob("templates/locale/*/LC_MESSAGES/*.po")
    return {str(p.relative_to(root)): p.read_bytes() for p in catalogs}


def _run(root: Path) -> None:
    subprocess.run([root / "scripts" / "catalogs"], check=True, capture_output=True)


def test_a_run_changes_only_the_catalogs_whose_messages_changed(tmp_path: Path) -> None:
    for part in ("templates", "rules", "scripts"):
        shutil.copytree(REPO / part, tmp_path / part)
    shutil.copy(REPO / "babel.cfg", tmp_path / "babel.cfg")
    (tmp_path / ".venv").symlink_to(REPO / ".venv")  # the script runs the venv's pybabel
    before = _catalogs(tmp_path)
    assert len(before) >= 9

    _run(tmp_path)
    assert _catalogs(tmp_path) == before

    shifted = tmp_path / "templates" / "customer" / "rma_issued.txt.j2"
    subject, rest = shifted.read_text().split("\n", 1)
    shifted.write_text(f"{subject}\n{{# a note that moves every message down #}}\n{rest}")
    _run(tmp_path)
    assert _catalogs(tmp_path) == before

    template = tmp_path / "templates" / "customer" / "received.txt.j2"
    template.write_text(template.read_text() + "{% trans %}A new sentence.{% endtrans %}\n")
    _run(tmp_path)
    after = _catalogs(tmp_path)
    for name, text in after.items():
        assert b'msgid "A new sentence."' in text, name
    _run(tmp_path)
    assert _catalogs(tmp_path) == after
