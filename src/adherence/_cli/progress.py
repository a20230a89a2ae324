"""What the command is doing, on standard error, while it works (``rich``).

Each phase (reading a file, computing figures, the privacy checks, writing) shows a spinner
and the time it has taken, and stays as a finished line when it ends. The display is only
for a person watching: it is off when standard error is not a terminal, and with
``--quiet``. Standard output is never touched, so it can be piped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

__all__ = ["Phases"]


class _Seconds(ProgressColumn):
    """The time a phase has taken, in seconds (``12.3 s``)."""

    def render(self, task: Task) -> Text:
        seconds = task.finished_time if task.finished else task.elapsed
        return Text(f"{seconds or 0.0:.1f} s", style="progress.elapsed")


class Phases:
    """The progress display of one command.

    Parameters
    ----------
    enabled
        Show anything at all (default: when ``stream`` is a terminal).
    stream
        Where to show it (default: standard error).
    """

    def __init__(self, *, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._progress: Progress | None = None

    def _display(self) -> Progress:
        if self._progress is None:
            console = Console(file=self._stream, force_terminal=True, highlight=False)
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                _Seconds(),
                console=console,
                redirect_stdout=False,  # standard output stays the command's own
                redirect_stderr=False,
            )
            self._progress.start()
        return self._progress

    @contextmanager
    def phase(self, description: str) -> Iterator[None]:
        """Show ``description`` with a spinner while the block runs."""
        if not self.enabled:
            yield
            return
        display = self._display()
        task = display.add_task(description, total=None)
        try:
            yield
        except BaseException:
            display.remove_task(task)
            raise
        display.update(task, total=1, completed=1)

    def say(self, text: str) -> None:
        """A line for the user, shown with or without a terminal (above a running display)."""
        if self._progress is not None:
            self._progress.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self._stream, flush=True)

    def note(self, text: str) -> None:
        """A line under the phases (e.g. how many rows were read)."""
        if self.enabled:
            self._display().console.print(f"  {text}", highlight=False, markup=False)

    def stop(self) -> None:
        """End the display (before an error line is printed, and at the end)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
