"""The peer in the same run (issue 17): django-helpdesk's mail import over the same mail.

django-helpdesk is an open-source Django helpdesk whose ``get_email`` command reads an
IMAP folder and turns each message into a ticket with its attachments. The bench
installs it from PyPI into a virtual environment of its own (cached under
bench/.cache/peer/, like the corpus; never a dependency of mailbot or its tests), sets
up a minimal Django site on SQLite whose one queue reads the bench's Dovecot account,
and runs ``django-admin get_email`` as a child process, timed and sampled like mailbot:
start to exit, peak RSS (VmHWM), CPU, and what it kept.

Its defaults are kept, as a site that installs it gets them; the SQLite database runs in
WAL mode, as mailbot's does. Among them the attachment
extensions it accepts (HELPDESK_VALID_EXTENSIONS: no .mp4, .mov, .jpeg, .heic), and the
acknowledgement it mails to each new ticket's submitter, sent here to the bench's SMTP
sink as mailbot's replies are.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import CACHE

# Pinned so that every run measures the same peer: the newest django-helpdesk 2.6 and
# the Django 5.2 LTS release it was checked with.
PACKAGES = ("django-helpdesk==2.6.1", "Django==5.2.19")
PASSWORD_ENV = "BENCH_PEER_IMAP_PASSWORD"

SETTINGS = """\
# A minimal Django site around django-helpdesk, written by bench/peer.py.
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
# WAL, as mailbot's SQLite store runs (storebase.open_database): the same footing.
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": {db!r},
        "OPTIONS": {{"init_command": "PRAGMA journal_mode=WAL;"}},
    }}
}}
MEDIA_ROOT = {media!r}
ROOT_URLCONF = "peer_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{"context_processors": ["django.template.context_processors.request"]}},
    }}
]
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = {smtp_port}
DEFAULT_FROM_EMAIL = "returns@shop.example"
# Teams need pinax-teams, which a plain install does not bring.
HELPDESK_TEAMS_MODE_ENABLED = False
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""

QUEUE = """\
import os
from helpdesk.models import Queue

Queue.objects.create(
    title="Returns",
    slug="returns",
    email_address="returns@shop.example",
    allow_email_submission=True,
    email_box_type="imap",
    email_box_host={host!r},
    email_box_port={port},
    email_box_ssl=False,
    email_box_user={user!r},
    email_box_pass=os.environ[{env!r}],
    email_box_imap_folder="INBOX",
    email_box_interval=0,
    logging_type="warn",
)
"""


def python(log: Path) -> Path:
    """The interpreter of the peer's virtual environment, created on first use."""
    digest = hashlib.sha1(" ".join(PACKAGES).encode()).hexdigest()[:10]
    venv = CACHE / "peer" / f"venv-{digest}"
    interpreter = venv / "bin" / "python"
    if interpreter.exists():
        return interpreter
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed: an interrupted install leaves no half venv behind.
    building = Path(tempfile.mkdtemp(prefix=".venv-", dir=venv.parent))
    try:
        with log.open("ab") as out:
            for command in (
                [sys.executable, "-m", "venv", str(building)],
                [str(building / "bin" / "python"), "-m", "pip", "install", "-q", *PACKAGES],
            ):
                subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT)
        # Only ``python -m`` is used, so the scripts' shebangs may name the old path.
        building.rename(venv)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return interpreter


@dataclass(frozen=True)
class Site:
    """One Django site (settings, SQLite database, media folder) with one IMAP queue."""

    root: Path
    python: Path
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return self.root / "helpdesk.sqlite3"

    @property
    def media(self) -> Path:
        return self.root / "media"

    def command(self, *args: str) -> list[str]:
        return [str(self.python), "-m", "django", *args]

    def run(self, log: Path, *args: str, stdin: str | None = None) -> None:
        """A setup step, not timed; its output goes to ``log``."""
        with log.open("ab") as out:
            subprocess.run(
                self.command(*args),
                cwd=self.root,
                env=self.env,
                input=stdin.encode() if stdin is not None else None,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
            )


def site(
    root: Path,
    interpreter: Path,
    imap: tuple[str, int, str, str],
    smtp_port: int,
    base_env: dict[str, str],
) -> Site:
    """A fresh site whose queue reads ``imap`` (host, port, user, password); its tables
    are created and the queue stored before any clock starts."""
    host, port, user, password = imap
    root.mkdir(parents=True)
    settings = SETTINGS.format(db=str(root / "helpdesk.sqlite3"), media=str(root / "media"),
                               smtp_port=smtp_port)  # fmt: skip
    (root / "peer_settings.py").write_text(settings)
    (root / "peer_urls.py").write_text(URLS)
    env = {
        key: value
        for key, value in base_env.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "DJANGO"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PYTHONPATH": str(root),
        PASSWORD_ENV: password,
    }
    made = Site(root, interpreter, env)
    log = root / "setup.log"
    made.run(log, "migrate", "--no-input", "-v", "0")
    made.run(
        log,
        "shell",
        "--no-imports",
        "-c",
        QUEUE.format(host=host, port=port, user=user, env=PASSWORD_ENV),
    )
    return made


@dataclass(frozen=True)
class Kept:
    """What an import stored: tickets, and attachments by extension."""

    tickets: int
    attachments: Counter[str]


def kept(made: Site) -> Kept:
    """Read the site's database after the import."""
    with sqlite3.connect(made.db) as db:
        tickets = db.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
        names = [row[0] for row in db.execute("SELECT filename FROM helpdesk_followupattachment")]
    return Kept(int(tickets), Counter(extension(name) for name in names))


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower() or "(none)"


def attachment_counts(names: Iterable[str]) -> Counter[str]:
    return Counter(extension(name) for name in names)


def dropped_text(sent: Counter[str], stored: Counter[str]) -> str:
    """'.mp4 1,100 of 1,100, …' for every extension of which fewer files were stored as
    attachments than were sent (a text/plain attachment becomes part of the ticket's
    text instead)."""
    parts = [
        f"{ext} {sent[ext] - stored.get(ext, 0):,} of {sent[ext]:,}"
        for ext in sorted(sent)
        if stored.get(ext, 0) < sent[ext]
    ]
    return ", ".join(parts) if parts else "none"


def get_email(made: Site) -> Sequence[str]:
    """The import as a cron job would run it."""
    return made.command("get_email", "--quiet")
