"""Run the command line: ``python -m adherence.synth --help``."""

from __future__ import annotations

from adherence.synth._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
