from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

KEY = "a test key that is long enough"
