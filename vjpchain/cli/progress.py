"""The progress display of long commands (``vjpchain check``): a line on stderr once the
command has run longer than :data:`PROGRESS_DELAY` seconds."""

from __future__ import annotations

import threading
import time
from typing import TextIO

__all__ = ["PROGRESS_DELAY", "now", "Progress"]

PROGRESS_DELAY = 1.0  # seconds before progress appears; tests shorten it
now = time.monotonic  # the clock of the progress display; tests replace it


class Progress:
    """Progress on stderr once the command has run longer than a second.

    A daemon thread writes it, so that a single slow primitive shows progress too: on a
    terminal one line rewritten in place, elsewhere one line per primitive.
    """

    def __init__(self, stream: TextIO, delay: float | None = None) -> None:
        self.stream = stream
        self.delay = PROGRESS_DELAY if delay is None else delay
        self.start = now()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.text = ""
        self.written = ""
        self.shown = False
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vjpchain-progress", daemon=True)

    def __enter__(self) -> Progress:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        self.clear()

    def update(self, text: str) -> None:
        with self.lock:
            self.text = text
        self.tick()

    def _run(self) -> None:
        while not self.stopped.wait(min(0.25, max(self.delay / 4, 0.01))):
            self.tick()

    def tick(self) -> None:
        """Write the current text if the delay has passed and there is something new."""
        with self.lock:
            elapsed = now() - self.start
            if elapsed <= self.delay or not self.text or self.stopped.is_set():
                return
            if self.tty:
                self.stream.write(f"\r\x1b[K{self.text} ({elapsed:.0f} s)")
            elif self.text != self.written:
                self.stream.write(f"{self.text} ({elapsed:.0f} s)\n")
            else:
                return
            self.stream.flush()
            self.written = self.text
            self.shown = True

    def clear(self) -> None:
        """Erase the progress line on a terminal."""
        with self.lock:
            self._clear()

    def _clear(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        self.shown = False

    def emit(self, line: str) -> None:
        """Print a result line on stdout, with no progress line in the way."""
        with self.lock:
            self._clear()
            print(line, flush=True)
