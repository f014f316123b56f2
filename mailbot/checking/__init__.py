"""`mailbot check` and the loaders' shared validation: declared schemas for config.toml
and the rule files, and their problems as `file:line: key: problem`."""
