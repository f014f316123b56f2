"""config.toml: valid files load; every mistake names the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config import load_config
from mailbot.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_example_config_loads_with_password_from_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "imap-secret")
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "smtp-secret")
    config = load_config(REPO / "config.example.toml")
    assert config.imap is not None and config.imap.password == "imap-secret"
    assert config.smtp is not None and config.smtp.password == "smtp-secret"
    assert config.imap.port == 993 and config.smtp.security == "starttls"
    assert config.database_url == f"sqlite:///{REPO / 'mailbot.db'}"
    assert (config.retry_delay, config.retry_delay_max) == (30.0, 3600.0)


def test_password_file_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("s3cret\n")
    path = _write(
        tmp_path,
        '[imap]\nhost = "h"\nusername = "u"\npassword_file = "secret"\n'
        '[outbox]\ndirectory = "out"\n[smtp]\nfrom = "a@b.c"\n[orders]\ncsv = "o.csv"\n',
    )
    config = load_config(path)
    assert config.imap is not None and config.imap.password == "s3cret"
    assert config.outbox_directory == tmp_path / "out" and config.orders_csv == tmp_path / "o.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[imap]\nhost = "h"\nusername = "u"\npassword = "p"\nsecurity = "tls"\n',
            ":5: imap.security: must be one of ssl, starttls or none, not 'tls'",
        ),
        (
            '[imap]\nhost = "h"\nusername = "u"\npassword = "p"\nport = "993"\n',
            ":5: imap.port: must be a whole number, not '993'",
        ),
        ('[imap]\nusername = "u"\npassword = "p"\n', ":1: imap.host: is required"),
        (
            '[imap]\nhost = "h"\nusername = "u"\npassword_env = "NOPE_NOT_SET"\n',
            ":4: imap.password_env: environment variable NOPE_NOT_SET is not set",
        ),
        (
            '[maildir]\npath = "m"\n[database]\nurl = "mysql://x"\n',
            ":4: database.url: must start with sqlite:/// or postgresql://",
        ),
        (
            '[maildir]\npath = "m"\n[agents]\naddresses = ["nobody"]\n',
            ":4: agents.addresses: must be a list of email addresses",
        ),
        (
            '[maildir]\npath = "m"\n[service]\nretry_delay = 0\n',
            ":4: service.retry_delay: must be greater than 0.0, not 0",
        ),
        (
            '[maildir]\npath = "m"\n[service]\nretry_delay = 120\nretry_delay_max = 60\n',
            "[service] retry_delay_max must not be less than retry_delay",
        ),
        ("[maildir\n", "not valid TOML"),
        ('[smtp]\nfrom = "a@b.c"\n', "configure exactly one inbox"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    base = '[outbox]\ndirectory = "out"\n[smtp]\nfrom = "a@b.c"\n' if "[smtp]" not in text else ""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text + base))
    assert message in str(caught.value)
    assert str(tmp_path / "config.toml") in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
