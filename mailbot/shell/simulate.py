"""`mailbot simulate FILE`: the message handled as `mailbot run` would handle it, over a
read-only unit of work (shell/work.DryRun), so the verdict is the run's (loop guard,
duplicates, threading, orders and all) and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailbot.config import Config
from mailbot.inbound.onefile import OneMessage
from mailbot.shell.bootstrap import build_service, open_dry_run
from mailbot.shell.handle import handle
from mailbot.shell.handled import Outcome


def simulate(config: Config, path: Path) -> Outcome:
    """What handling the message in `path` would decide and send."""
    source = OneMessage(path)
    work = open_dry_run(config)
    service = build_service(config, inbox=source, store=work.store)
    fetched = next(source.fetch(source.pending()))
    return handle(service, work, fetched)


def report(outcome: Outcome) -> dict[str, Any]:
    """The outcome as plain data (for --json and the text report)."""
    message, decision, handled = outcome.message, outcome.decision, outcome.handled
    return {
        "message_id": message.message_id,
        "sender": message.sender,
        "scenario": decision.scenario.value if decision else None,
        "language": message.reading.language,
        "kind": message.reading.kind.value,
        "state": decision.state.value if decision else None,
        "ticket": handled.ticket,
        "outcome": handled.outcome,
        "reasons": list(handled.reasons),
        "attachments": [
            {
                "filename": a.filename,
                "type": a.mime_type,
                "size": a.size,
                "width": a.width,
                "height": a.height,
            }
            for a in message.attachments
        ],
        "evidence": None
        if decision is None or decision.evidence is None
        else [
            {"requirement": r.label, "needed": r.needed, "counted": r.counted}
            for r in decision.evidence.requirements
        ],
        "replies": [{"to": x.reply.to, **vars(x.rendered)} for x in outcome.letters],
    }
