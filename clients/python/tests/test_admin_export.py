"""examples/admin_export.py, run as operators run it: against a fake PrivacyRequestService that
plays each situation the script must handle, and, when PRIVACYD_BIN names a privacyd binary,
against the real privacyd with the reference data source registered."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import select
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from privacy.v1 import data_source_registry_service_pb2 as registry_pb
from privacy.v1 import data_source_registry_service_pb2_grpc as registry_grpc
from privacy.v1 import privacy_request_service_pb2 as pb
from privacy.v1 import privacy_request_service_pb2_grpc as pb_grpc

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "admin_export.py"
# privacyd refuses a guessable admin token (at least 32 characters and 128 estimated bits).
TOKEN = f"admin-token-for-tests-{secrets.token_urlsafe(32)}"
JANE = "jane@example.com"
REQUEST_ID = "01a20283-0000-7000-8000-000000000001"
ARCHIVE = bytes(range(256)) * 1000  # 256 kB: several chunks


@dataclass
class Scenario:
    """What the fake privacyd does."""

    created_state: pb.State = pb.STATE_CONFIRMED
    # (reason, state) for an ILLEGAL_TRANSITION answer to ProcessPrivacyRequest.
    process_refusal: tuple[str, str] | None = None
    final_state: pb.State = pb.STATE_COMPLETED
    state_reason: str = ""
    file_name: str = f"privacy-export-{REQUEST_ID}.zip"
    header_sha256: str = hashlib.sha256(ARCHIVE).hexdigest()


@dataclass
class FakePrivacyd(pb_grpc.PrivacyRequestServiceServicer):
    scenario: Scenario
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    created: pb.CreatePrivacyRequestRequest | None = None

    def _record(self, method: str, context: grpc.ServicerContext) -> None:
        auth = dict(context.invocation_metadata()).get("authorization")
        self.calls.append((method, auth if isinstance(auth, str) else None))

    def CreatePrivacyRequest(
        self, request: pb.CreatePrivacyRequestRequest, context: grpc.ServicerContext
    ) -> pb.CreatePrivacyRequestResponse:
        self._record("CreatePrivacyRequest", context)
        self.created = request
        return pb.CreatePrivacyRequestResponse(privacy_request=_request(self.scenario.created_state))

    def ProcessPrivacyRequest(
        self, request: pb.ProcessPrivacyRequestRequest, context: grpc.ServicerContext
    ) -> pb.ProcessPrivacyRequestResponse:
        self._record("ProcessPrivacyRequest", context)
        if self.scenario.process_refusal is not None:
            reason, state = self.scenario.process_refusal
            detail = any_pb2.Any()
            detail.Pack(
                error_details_pb2.ErrorInfo(reason=reason, domain="privacyd", metadata={"state": state})
            )
            context.abort_with_status(
                rpc_status.to_status(
                    status_pb2.Status(
                        code=code_pb2.FAILED_PRECONDITION,
                        message=f"the request is {state}",
                        details=[detail],
                    )
                )
            )
        return pb.ProcessPrivacyRequestResponse(privacy_request=_request(pb.STATE_PROCESSING))

    def WatchPrivacyRequest(
        self, request: pb.WatchPrivacyRequestRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchPrivacyRequestResponse]:
        self._record("WatchPrivacyRequest", context)
        for state, source_state, items in [
            (pb.STATE_PROCESSING, pb.SOURCE_STATE_PENDING, 0),
            (pb.STATE_PROCESSING, pb.SOURCE_STATE_PENDING, 0),  # an event that changed nothing shown
            (pb.STATE_PROCESSING, pb.SOURCE_STATE_RUNNING, 3),
        ]:
            yield pb.WatchPrivacyRequestResponse(privacy_request=_request(state, source_state, items))
        final = _request(self.scenario.final_state, pb.SOURCE_STATE_SUCCEEDED, 6)
        final.state_reason = self.scenario.state_reason
        yield pb.WatchPrivacyRequestResponse(privacy_request=final)
        if self.scenario.final_state == pb.STATE_FAILED:
            # Like privacyd: FAILED is not final, so the stream stays open.
            while context.is_active():
                time.sleep(0.05)

    def DownloadExport(
        self, request: pb.DownloadExportRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DownloadExportResponse]:
        self._record("DownloadExport", context)
        yield pb.DownloadExportResponse(
            header=pb.ExportArchiveHeader(
                file_name=self.scenario.file_name,
                size_bytes=len(ARCHIVE),
                sha256=self.scenario.header_sha256,
            )
        )
        for start in range(0, len(ARCHIVE), 64 * 1024):
            yield pb.DownloadExportResponse(chunk=ARCHIVE[start : start + 64 * 1024])


def _request(
    state: pb.State, source_state: pb.SourceState | None = None, items: int = 0
) -> pb.PrivacyRequest:
    request = pb.PrivacyRequest(id=REQUEST_ID, action=pb.ACTION_EXPORT, state=state)
    if source_state is not None:
        request.sources.add(source_name="python-shop", state=source_state, items=items)
    return request


@pytest.fixture
def fake() -> Iterator[tuple[FakePrivacyd, str]]:
    servicer = FakePrivacyd(Scenario())
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_PrivacyRequestServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


def run_script(
    cwd: Path, addr: str, *args: str, token: str | None = TOKEN
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PRIVACYD_ADDR", "PRIVACYD_ADMIN_TOKEN"}}
    env["PRIVACYD_ADDR"] = addr
    if token is not None:
        env["PRIVACYD_ADMIN_TOKEN"] = token
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_creates_processes_watches_and_downloads(fake: tuple[FakePrivacyd, str], tmp_path: Path) -> None:
    servicer, addr = fake

    result = run_script(tmp_path, addr, JANE)

    assert result.returncode == 0, result.stderr
    archive = tmp_path / f"privacy-export-{REQUEST_ID}.zip"
    assert result.stdout.splitlines() == [
        f"created {REQUEST_ID} (CONFIRMED)",
        "PROCESSING: python-shop PENDING 0 items",
        "PROCESSING: python-shop RUNNING 3 items",
        "COMPLETED: python-shop SUCCEEDED 6 items",
        f"archive {archive} {len(ARCHIVE)} bytes sha256 {hashlib.sha256(ARCHIVE).hexdigest()}",
    ]
    assert archive.read_bytes() == ARCHIVE
    assert [name for name, _ in servicer.calls] == [
        "CreatePrivacyRequest",
        "ProcessPrivacyRequest",
        "WatchPrivacyRequest",
        "DownloadExport",
    ]
    assert {auth for _, auth in servicer.calls} == {f"Bearer {TOKEN}"}
    created = servicer.created
    assert created is not None
    assert created.subject.email == JANE
    assert created.action == pb.ACTION_EXPORT
    assert created.send_confirmation is False
    assert uuid.UUID(created.request_id)


def test_a_request_privacyd_already_processes_is_not_processed_again(
    fake: tuple[FakePrivacyd, str], tmp_path: Path
) -> None:
    servicer, addr = fake
    servicer.scenario.created_state = pb.STATE_PROCESSING  # privacyd --auto-process

    result = run_script(tmp_path, addr, JANE)

    assert result.returncode == 0, result.stderr
    assert "ProcessPrivacyRequest" not in [name for name, _ in servicer.calls]


def test_losing_the_race_to_auto_process_is_fine(fake: tuple[FakePrivacyd, str], tmp_path: Path) -> None:
    servicer, addr = fake
    servicer.scenario.process_refusal = ("ILLEGAL_TRANSITION", "STATE_PROCESSING")

    result = run_script(tmp_path, addr, JANE)

    assert result.returncode == 0, result.stderr
    assert "ProcessPrivacyRequest" in [name for name, _ in servicer.calls]
    assert result.stdout.splitlines()[-1].startswith("archive ")


def test_other_refusals_to_process_fail(fake: tuple[FakePrivacyd, str], tmp_path: Path) -> None:
    servicer, addr = fake
    servicer.scenario.process_refusal = ("ILLEGAL_TRANSITION", "STATE_CANCELLED")

    result = run_script(tmp_path, addr, JANE)

    assert result.returncode == 1
    assert "FAILED_PRECONDITION ILLEGAL_TRANSITION state=STATE_CANCELLED" in result.stderr
    assert "WatchPrivacyRequest" not in [name for name, _ in servicer.calls]


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(pb.STATE_FAILED, id="FAILED"),
        pytest.param(pb.STATE_DENIED, id="DENIED"),
        pytest.param(pb.STATE_CANCELLED, id="CANCELLED"),
        pytest.param(pb.STATE_EXPIRED, id="EXPIRED"),
    ],
)
def test_a_request_that_ends_without_an_archive_exits_1(
    fake: tuple[FakePrivacyd, str], tmp_path: Path, state: pb.State
) -> None:
    name = pb.State.Name(state).removeprefix("STATE_")
    servicer, addr = fake
    servicer.scenario.final_state = state
    servicer.scenario.state_reason = "source python-shop failed: Unavailable: tcp connect error"

    result = run_script(tmp_path, addr, JANE)

    assert result.returncode == 1
    assert f"is {name}: source python-shop failed: Unavailable: tcp connect error" in result.stderr
    assert "DownloadExport" not in [method for method, _ in servicer.calls]
    assert list(tmp_path.iterdir()) == []


def test_an_archive_that_does_not_match_its_header_is_not_kept(
    fake: tuple[FakePrivacyd, str], tmp_path: Path
) -> None:
    servicer, addr = fake
    servicer.scenario.header_sha256 = "0" * 64

    result = run_script(tmp_path, addr, JANE)

    assert result.returncode == 1
    assert "SHA-256" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_archive_name_from_the_server_cannot_leave_the_output_folder(
    fake: tuple[FakePrivacyd, str], tmp_path: Path
) -> None:
    servicer, addr = fake
    servicer.scenario.file_name = "../../escaped.zip"
    out = tmp_path / "out"

    result = run_script(tmp_path, addr, JANE, "--out", str(out))

    assert result.returncode == 0, result.stderr
    assert (out / "escaped.zip").read_bytes() == ARCHIVE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_admin_token_is_required(fake: tuple[FakePrivacyd, str], tmp_path: Path) -> None:
    servicer, addr = fake

    result = run_script(tmp_path, addr, JANE, token=None)

    assert result.returncode == 2
    assert "PRIVACYD_ADMIN_TOKEN" in result.stderr
    assert servicer.calls == []


# Against the real privacyd ------------------------------------------------------------------

PRIVACYD_BIN = os.environ.get("PRIVACYD_BIN")
SOURCE_TOKEN = "source-token-for-tests"


@pytest.mark.skipif(not PRIVACYD_BIN, reason="set PRIVACYD_BIN to a privacyd binary to run against it")
@pytest.mark.parametrize("auto_process", [False, True], ids=["processed-by-script", "auto-process"])
def test_against_privacyd_with_the_reference_source(tmp_path: Path, auto_process: bool) -> None:
    assert PRIVACYD_BIN is not None
    addr = f"127.0.0.1:{free_port()}"
    privacyd_log = (tmp_path / "privacyd.log").open("w")
    privacyd = subprocess.Popen(
        [
            PRIVACYD_BIN,
            "--data-dir",
            str(tmp_path / "data"),
            "--listen",
            addr,
            *(["--auto-process"] if auto_process else []),
        ],
        stdout=privacyd_log,
        stderr=subprocess.STDOUT,
        # In the environment, not on the command line, where every local user could read it.
        env={**os.environ, "PRIVACYD_ADMIN_TOKENS": TOKEN},
    )
    source = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_datasource",
            "--listen",
            "127.0.0.1:0",
            "--db",
            str(tmp_path / "shop.db"),
            "--seed",
            JANE,
            "--token",
            SOURCE_TOKEN,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        source_addr = read_listening_line(source).removeprefix("listening on ")
        with grpc.insecure_channel(addr) as channel:
            wait_until_serving(channel)
            registry_grpc.DataSourceRegistryServiceStub(channel).RegisterDataSource(
                registry_pb.RegisterDataSourceRequest(
                    name="python-shop", endpoint=f"http://{source_addr}", auth_token=SOURCE_TOKEN
                ),
                metadata=(("authorization", f"Bearer {TOKEN}"),),
                timeout=30,
            )
        out = tmp_path / "out"

        result = run_script(tmp_path, addr, JANE, "--out", str(out))

        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].endswith("(PROCESSING)" if auto_process else "(CONFIRMED)")
        assert lines[-2] == "COMPLETED: python-shop SUCCEEDED 6 items"
        _, path, size, _, _, sha256 = lines[-1].split()
        archive = Path(path)
        assert archive.parent == out
        assert archive.stat().st_size == int(size)
        assert hashlib.sha256(archive.read_bytes()).hexdigest() == sha256
        with zipfile.ZipFile(archive) as zipped:
            document = json.loads(zipped.read("export.json"))
        # WordPress's shape: one object titled for the subject; items keyed <source>/<item id>,
        # each an array of name/value pairs.
        exported = document[f"Personal Data Export for {JANE}"]
        assert list(exported["profile"]["items"]) == ["python-shop/user-1"]
        assert sorted(exported["orders"]["items"]) == ["python-shop/order-1", "python-shop/order-2"]
        assert sorted(exported["comments"]["items"]) == [f"python-shop/comment-{i}" for i in (1, 2, 3)]
        order = exported["orders"]["items"]["python-shop/order-1"]
        assert {"name": "Total", "value": "49.90 EUR"} in order
    finally:
        for process in (source, privacyd):
            process.terminate()
            process.wait(timeout=20)
        privacyd_log.close()


def free_port() -> int:
    # The OS picks a free port; privacyd binds it a moment later. A clash is possible in
    # principle but not in practice on a test machine.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_serving(channel: grpc.Channel, timeout: float = 30.0) -> None:
    grpc.channel_ready_future(channel).result(timeout=timeout)
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = health.Check(health_pb2.HealthCheckRequest(), timeout=2).status
            if status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def read_listening_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the reference source did not start"
    return process.stdout.readline().strip()
