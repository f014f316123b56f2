"""`mailbot eval DIR`: labelled mails run through the steps of `mailbot run`, compared with
what a careful person on the returns desk would answer (eval/README.md has the format).

labels.py reads the labels and the set's eval.toml, bundles.py attaches the bundles'
files, step.py takes one mail through the bot's steps, score.py compares and tabulates,
baseline.py keeps the files that were right, command.py is the command.
"""
