"""A labelled set: labels.csv beside the .eml files, and eval.toml (in the folder or its
parent) with the clock, the orders and the media the bundles come from.

Every bad row or key is reported with its file and line; all of them at once, so an
admin fixes a set in one go.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mailbot.errors import MailbotError

LANGUAGES = frozenset({"en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "zh"})
SCENARIOS = frozenset(
    {"quality_defect", "wrong_item", "demand_change", "unclear", "not_return", "auto_reply"}
)
EXPECTS = frozenset(
    {
        "rma", "options", "missing", "refuse", "review", "ask_scenario", "ask_order",
        "choose_order", "wrong_sender", "acknowledge", "ignore",
    }
)  # fmt: skip
COLUMNS = ("file", "language", "scenario", "expect", "order", "attach", "note")


class LabelError(MailbotError):
    """Labels or eval.toml are invalid; carries every problem, one `file:line: …` a line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Label:
    """One labelled mail: what it is and what the desk should answer."""

    file: str
    language: str
    scenario: str
    expect: str
    order: str
    attach: str
    note: str
    line: int


# The desk's address when eval.toml names none (the loop guard compares senders with it).
DESK_ADDRESS = "returns@desk.invalid"


@dataclass(frozen=True)
class EvalSet:
    """The clock, orders file, media folder and desk address of a labelled set (from its
    eval.toml)."""

    path: Path
    now: datetime
    orders: Path
    media: Path
    address: str = DESK_ADDRESS


def find_eval_toml(directory: Path) -> Path:
    for candidate in (directory / "eval.toml", directory.parent / "eval.toml"):
        if candidate.is_file():
            return candidate
    raise LabelError([f"{directory}: no eval.toml here or in its parent folder"])


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.split("=", 1)[0].strip() == key:
            return number
    return None


def load_eval_set(directory: Path) -> EvalSet:
    """The set's eval.toml: `now` (ISO 8601 with offset), `orders` and `media` (paths
    relative to the file), and optionally `address`, the desk's own address."""
    path = find_eval_toml(directory)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabelError([f"{path}: not valid TOML: {exc}"]) from None
    problems: list[str] = []

    def where(key: str) -> str:
        line = _line_of(text, key)
        return f"{path}:{line}" if line else str(path)

    def string(key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            problems.append(f"{where(key)}: {key}: a non-empty string is needed")
            return ""
        return value

    now_text, orders, media = string("now"), string("orders"), string("media")
    now = datetime.min
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            problems.append(f"{where('now')}: now: {now_text!r} is not an ISO 8601 time")
        else:
            if now.tzinfo is None:
                problems.append(f"{where('now')}: now: {now_text!r} needs a UTC offset")
    if orders and not (path.parent / orders).is_file():
        problems.append(f"{where('orders')}: orders: no file {path.parent / orders}")
    if media and not (path.parent / media).is_dir():
        problems.append(f"{where('media')}: media: no folder {path.parent / media}")
    address = data.get("address", DESK_ADDRESS)
    if not isinstance(address, str) or "@" not in address:
        problems.append(f"{where('address')}: address: an email address is needed")
    if problems:
        raise LabelError(problems)
    return EvalSet(path, now, path.parent / orders, path.parent / media, str(address))


def _row_problems(row: dict[str, str], directory: Path, bundles: frozenset[str]) -> list[str]:
    problems = []
    for column, allowed in (
        ("language", LANGUAGES),
        ("scenario", SCENARIOS),
        ("expect", EXPECTS),
        ("attach", bundles),
    ):
        if row[column] not in allowed:
            choices = " ".join(sorted(allowed))
            problems.append(f"{column}: {row[column]!r} is not one of: {choices}")
    name = row["file"]
    if not name or "/" in name or "\\" in name or not name.endswith(".eml"):
        problems.append(f"file: {name!r} is not the name of an .eml file in the folder")
    elif not (directory / name).is_file():
        problems.append(f"file: no file {name} in {directory}")
    return problems


def load_labels(directory: Path, bundles: frozenset[str]) -> list[Label]:
    """The rows of DIR/labels.csv; LabelError naming `labels.csv:line: column: …` for
    each bad row (a value out of its list, a missing or repeated file)."""
    path = directory / "labels.csv"
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise LabelError([f"{path}: cannot read: {exc.strerror}"]) from None
    labels: list[Label] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LabelError([f"{path}:1: missing column(s): {', '.join(missing)}"])
        line = 1
        try:
            for row in reader:
                line = reader.line_num
                row = {k: (row.get(k) or "").strip() for k in COLUMNS}
                found = _row_problems(row, directory, bundles)
                name = row["file"]
                if name in seen:
                    found.append(f"file: {name} is labelled twice (line {seen[name]})")
                seen.setdefault(name, line)
                problems.extend(f"{path}:{line}: {p}" for p in found)
                if not found:
                    labels.append(
                        Label(name, row["language"], row["scenario"], row["expect"],
                              row["order"], row["attach"], row["note"], line)
                    )  # fmt: skip
        except (UnicodeDecodeError, csv.Error) as exc:
            problems.append(f"{path}:{line + 1}: not readable CSV: {exc}")
    problems.extend(
        f"{mail}: no row in {path.name}" for mail in sorted(directory.glob("*.eml"))
        if mail.name not in seen
    )  # fmt: skip
    if problems:
        raise LabelError(problems)
    return labels
