"""Run one command and report its wall time and peak memory as one line of JSON.

Usage::

    python bench/measure.py CMD [ARG ...]

The command runs as this process's only child. ``wall_s`` is the time from starting it to
its exit (interpreter start and imports included). ``peak_rss_kib`` is
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it exits: on Linux, the largest resident set
of the child, in KiB. ``cpu_s`` is the child's user plus system CPU time: on a shared
machine, time stolen by other guests shows in ``wall_s`` but not here. ``RUSAGE_CHILDREN``
covers every child a process has waited for, which is why each measurement runs in its own
fresh ``measure.py``.

Output: ``{"wall_s", "cpu_s", "peak_rss_kib", "returncode", "result", "stderr"}``:
``result`` is the command's stdout parsed as JSON (``null`` if it is not JSON), ``stderr``
its last 4,000 characters.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def measure(command: list[str]) -> dict[str, object]:
    """Run ``command`` and return its wall time, peak RSS, exit code and output."""
    started = time.perf_counter()
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        result = json.loads(child.stdout)
    except json.JSONDecodeError:
        result = None
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_kib": usage.ru_maxrss,
        "returncode": child.returncode,
        "result": result,
        "stderr": child.stderr[-4000:],
    }


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(json.dumps(measure(sys.argv[1:])))


if __name__ == "__main__":
    main()
