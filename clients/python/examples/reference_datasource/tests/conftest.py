"""Starts the reference data source as its users do: the installed command, a real SQLite file,
a loopback port chosen by the OS, read back from its `listening on` line."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from privacy.datasource.v1 import data_source_service_pb2_grpc as pb_grpc

JANE = "jane.doe@example.com"
STARTUP_TIMEOUT_S = 20.0


@dataclass
class Source:
    """A running reference data source process and a client for it."""

    process: subprocess.Popen[str]
    db: Path
    address: str
    channel: grpc.Channel = field(init=False)
    stub: pb_grpc.DataSourceServiceStub = field(init=False)
    stopped: tuple[int, str, str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.channel = grpc.insecure_channel(self.address)
        self.stub = pb_grpc.DataSourceServiceStub(self.channel)

    def stop(self, *, signal_first: bool = True) -> tuple[int, str, str]:
        """SIGTERM (unless the test sent its own signal: `signal_first=False`), then the exit
        code and the rest of stdout and stderr; a source still running after 15 s is killed
        (exit code -9). Idempotent: the fixture stops every source again after the test."""
        if self.stopped is not None:
            return self.stopped
        self.channel.close()
        if signal_first and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, err = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        self.stopped = (self.process.returncode, out, err)
        return self.stopped


StartSource = Callable[..., Source]


@pytest.fixture
def start_source(tmp_path: Path) -> Iterator[StartSource]:
    """Returns a function that starts a source with extra command-line arguments (and
    environment variables) over tmp_path/shop.db; every source started is stopped after."""
    started: list[Source] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Source:
        db = tmp_path / "shop.db"
        process = subprocess.Popen(
            [sys.executable, "-m", "reference_datasource", "--listen", "127.0.0.1:0", "--db", str(db), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        line = _read_line(process, STARTUP_TIMEOUT_S)
        assert line.startswith("listening on 127.0.0.1:"), line
        source = Source(process=process, db=db, address=line.removeprefix("listening on ").strip())
        started.append(source)
        return source

    yield start
    for source in started:
        source.stop()


@pytest.fixture
def source(start_source: StartSource) -> Source:
    """A source with Jane seeded: a profile, 2 orders and 3 comments."""
    return start_source("--seed", JANE)


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            return process.stdout.readline()
        if process.poll() is not None:
            break
    process.kill()
    _, err = process.communicate()
    raise AssertionError(f"the source did not print its address; stderr:\n{err}")
