"""The admin's side of the command line: its grammar, the ticket views, input checks."""
