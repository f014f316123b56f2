"""mailbot: a returns desk run by email."""

__version__ = "0.1.0"
