"""A loopback SMTP server that accepts every message and keeps none: the benchmarks' mail server.

aiosmtpd on 127.0.0.1 and a free port, no login, no TLS. It prints its port on standard
output once it listens, then answers each `count` line on standard input with the number of
messages accepted since the last `count`; it stops at the end of its input.

Usage: python bench/smtp_sink.py   (started by bench/sending.py in its own process)
"""

from __future__ import annotations

import socket
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    """Accepts every message, counts it and throws it away."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"

    def take(self) -> int:
        with self.lock:
            count, self.count = self.count, 0
        return count


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    sink = Sink()
    # A fixed server name: without one, aiosmtpd asks getfqdn() on every connection, a cost
    # that would fall on mailmerge (one connection per message) and not on the others.
    controller = Controller(
        sink, hostname="127.0.0.1", port=free_port(), server_hostname="bench.localhost"
    )
    controller.start()
    try:
        print(controller.port, flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(sink.take(), flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
