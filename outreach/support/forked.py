"""A piece of work done in a second process, made by fork, while this one goes on.

A big batch of drafts is rendered half here and half in the other process, on a second CPU:
the other process starts with everything this one has (the people read, the template
compiled) and hands back only what it made. Where that cannot be (see `other_cpus`), the
caller does the work itself.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import random
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

Result = TypeVar("Result")


def other_cpus() -> bool:
    """Whether a second process would run beside this one: on Linux (on macOS a forked
    process may crash in the system's own libraries, which is why Python does not fork there
    by default), in a process with no other thread (fork copies only the thread that calls
    it: a lock another one held would stay locked in the copy), with a second CPU for it."""
    if not sys.platform.startswith("linux"):
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    return len(os.sched_getaffinity(0)) > 1


class Lost(Exception):
    """The other process ended without handing its work back (killed, out of memory)."""


class Forked(Generic[Result]):
    """`work()` run in a child process from the moment this is made; `result()` waits for
    it and returns what it returned, or raises what it raised. The child shares nothing with
    this process once made: it must not touch what this one writes (an open database, say).

    Use it as a context manager: leaving the block before `result()` (an error here, Ctrl-C)
    stops the child and waits for it, so that it never outlives the work it was part of.
    """

    def __init__(self, work: Callable[[], Result]) -> None:
        readable, writable = os.pipe()
        # Ctrl-C waits until the fork is over: in the middle of it, Python would run its
        # after-fork handlers with the KeyboardInterrupt and report it as ignored there.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a limit on processes, no memory)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(readable)
            os.close(writable)
            raise
        if pid == 0:  # pragma: no cover - the child's lines run in another process
            os.close(readable)
            _run_child(work, writable, mask)
        os.close(writable)
        self.pid = pid
        self.readable = readable
        self.waited = False
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # raises a Ctrl-C that waited
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self) -> Forked[Result]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.waited:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._wait()

    def result(self) -> Result:
        chunks = []
        while chunk := os.read(self.readable, 1 << 20):
            chunks.append(chunk)
        status = self._wait()
        if not chunks or status != 0:
            raise Lost(f"the second process ended with status {status} before it was done")
        outcome, value = pickle.loads(b"".join(chunks))
        if outcome == "raised":
            raise value
        return value  # type: ignore[no-any-return]

    def _wait(self) -> int:
        self.waited = True
        os.close(self.readable)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def _run_child(  # pragma: no cover - run in the child
    work: Callable[[], object], writable: int, mask: Iterable[int]
) -> None:
    """In the child: the work's result (or its error) written to the pipe, then the end of
    the process, without the parent's exit handlers, buffers or finalizers."""
    status = 1
    try:
        random.seed()  # its own random numbers (message ids), not a copy of the parent's
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            data = pickle.dumps(("returned", work()))
        except BaseException as error:  # handed to the parent, which raises it
            try:
                data = pickle.dumps(("raised", error))
            except Exception:  # an error that does not pickle: its words
                data = pickle.dumps(("raised", RuntimeError(f"{type(error).__name__}: {error}")))
        view = memoryview(data)
        while view:
            view = view[os.write(writable, view) :]
        status = 0
    finally:
        os._exit(status)
