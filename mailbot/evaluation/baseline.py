"""The files of a set that were right when the baseline was last accepted
(`mailbot eval DIR --update-baseline`): one file name a line in DIR/baseline.txt. A mail
among them that is no longer right is a regression, and the command fails."""

from __future__ import annotations

from pathlib import Path

NAME = "baseline.txt"
_HEAD = (
    "# Mails of this folder that `mailbot eval` decided right when this file was written\n"
    "# (`mailbot eval DIR --update-baseline`); one that is no longer right fails the command.\n"
)


def read_baseline(directory: Path) -> frozenset[str] | None:
    """The files of the baseline, or None when the folder has none."""
    path = directory / NAME
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(s for line in lines if (s := line.strip()) and not s.startswith("#"))


def write_baseline(directory: Path, right: set[str]) -> Path:
    path = directory / NAME
    path.write_text(_HEAD + "".join(f"{name}\n" for name in sorted(right)), encoding="utf-8")
    return path
