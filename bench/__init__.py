"""The benchmark of issue 6 (see bench/README.md); run it with bench/run.py."""
