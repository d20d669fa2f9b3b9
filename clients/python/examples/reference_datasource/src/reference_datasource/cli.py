"""The command line: `reference-datasource --db shop.db --seed jane@example.com`.

Prints exactly one line to stdout, `listening on HOST:PORT` with the real port, once it
serves (scripts and tests wait for it); everything else goes to stderr. Stops cleanly on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from reference_datasource import server
from reference_datasource.store import Store

log = logging.getLogger("reference_datasource")

TOKEN_ENV = "REFERENCE_SOURCE_TOKEN"  # noqa: S105 (the variable's name, not a token)
# How long open calls may go on after SIGTERM. privacyd retries calls cut short.
SHUTDOWN_GRACE_S = 5.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="reference-datasource",
        description="A privacyd data source for a small shop, backed by SQLite.",
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:7002", help="HOST:PORT to serve on (default %(default)s)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("reference-datasource.db"),
        help="SQLite file, created with the schema if missing (default %(default)s)",
    )
    parser.add_argument(
        "--name", default="python-shop", help="the name Describe returns (default %(default)s)"
    )
    parser.add_argument(
        "--seed",
        action="append",
        default=[],
        metavar="EMAIL",
        help="add a demo customer (profile, 2 orders, 3 comments) unless one exists; repeatable",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV) or None,
        help=f"require `authorization: Bearer TOKEN` on every call (also ${TOKEN_ENV})",
    )
    return parser.parse_args(argv)


class _StopSignals:
    """Waits in the main thread for SIGTERM or SIGINT, whichever thread the kernel gives it to.

    Python runs signal handlers only in the main thread, and only once that thread runs
    bytecode again. The kernel may deliver a process signal to any thread, and gRPC has many:
    a main thread blocked in a plain `Event.wait()` is then never woken, and the process
    ignores SIGTERM until it is killed (seen in CI about once in 15 stops with the machine
    busy). The C-level handler writes the signal's number to a wakeup fd from whatever thread
    it runs on, and the main thread blocks reading that fd, so it always wakes.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self._read, write = socket.socketpair()
        write.setblocking(False)  # set_wakeup_fd requires it: a handler must never block
        self._write = write  # kept open for the process's life
        signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)
        for signum in self.SIGNALS:
            # A Python handler (even one doing nothing) replaces the default action, which
            # would end the process at once, without the graceful stop.
            signal.signal(signum, lambda *_: None)

    def wait(self) -> None:
        """Returns once SIGTERM or SIGINT has arrived (also one that arrived before the call)."""
        while True:
            for signum in self._read.recv(64):
                if signum in self.SIGNALS:
                    return


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    store = Store(args.db)
    seeded = sum(store.seed(email) for email in args.seed)
    if args.seed:
        # A count, not the addresses: logs must hold no personal data.
        log.info("seeded %d demo customers; %d existed already", seeded, len(args.seed) - seeded)

    # Handlers first, so a signal that arrives while starting still stops us cleanly.
    stop_signals = _StopSignals()

    try:
        running = server.start(store, name=args.name, listen=args.listen, token=args.token)
    except RuntimeError as err:  # grpc raises it when the address cannot be bound
        log.error("cannot listen on %s: %s", args.listen, err)
        return 1
    host = args.listen.rsplit(":", 1)[0]
    print(f"listening on {host}:{running.port}", flush=True)
    log.info(
        "serving %s as %r%s",
        server.SERVICE_NAME,
        args.name,
        " (bearer token required)" if args.token else "",
    )

    stop_signals.wait()
    log.info("stopping: letting open calls finish for up to %.0fs", SHUTDOWN_GRACE_S)
    running.stop(SHUTDOWN_GRACE_S)
    log.info("stopped")
    return 0
