"""How mailbot logs: its own lines at INFO (DEBUG with -v), libraries' chatter below.

APScheduler logs every job run at INFO ("Running job … executed successfully"), peewee
every statement at DEBUG: both are kept under WARNING and INFO so the log says what the
desk did. `--log-format json` writes one JSON object a line for log shippers.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Libraries and the level below which their lines are dropped.
QUIET = {"apscheduler": logging.WARNING, "peewee": logging.INFO}


class JsonFormatter(logging.Formatter):
    """One object a line: time (UTC, ISO 8601), level, logger, message, and any error."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(verbose: bool, log_format: str) -> None:
    """Configure the root logger once, for the command's whole run."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("mailbot").setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
