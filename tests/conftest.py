"""Settings for the whole suite."""

from __future__ import annotations

import os

from hypothesis import settings

# In CI the property tests replay the same examples every run: a red build then means a
# change broke something, not that the dice found an old bug. Locally they explore
# (and hypothesis keeps what failed in .hypothesis/ to try first next time).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
