"""The installed command run under a real pseudo-terminal, for tests that press single keys."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import outreach_command

WAIT = 30.0  # seconds to wait for expected output before the test fails (not a timing test)


class Terminal:
    """A running `outreach` whose stdin, stdout and stderr are one pseudo-terminal."""

    def __init__(self, process: subprocess.Popen[bytes], fd: int) -> None:
        self.process = process
        self.fd = fd
        self.output = ""  # everything read so far, with the terminal's \r\n as \n

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def expect(self, text: str) -> str:
        """Read until text has appeared after what earlier calls consumed; the output up to it."""
        deadline = time.monotonic() + WAIT
        while text not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"{text!r} never came; the terminal showed:\n{self.output}")
        before, _, self.output = self.output.partition(text)
        return before + text

    def finish(self) -> tuple[int, str]:
        """Wait for the command to end; its exit status and everything it printed since."""
        while self._read(WAIT):
            pass
        rest, self.output = self.output, ""
        return self.process.wait(timeout=WAIT), rest

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the command ended and closed the terminal
            return False
        if not data:
            return False
        self.output += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return True


@contextmanager
def terminal(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[Terminal]:
    """Run the installed outreach under a pseudo-terminal; it is ended when the block ends."""
    main, side = pty.openpty()
    process = subprocess.Popen(
        [*outreach_command(), *args],
        stdin=side,
        stdout=side,
        stderr=side,
        cwd=cwd,
        env={**os.environ, "TERM": "dumb", **(env or {})},
        start_new_session=True,
    )
    os.close(side)
    try:
        yield Terminal(process, main)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=WAIT)
        os.close(main)
