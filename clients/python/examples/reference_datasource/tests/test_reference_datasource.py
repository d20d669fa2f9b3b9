"""The reference data source against the DataSourceService contract, over real gRPC calls to
the running command and a real SQLite file."""

from __future__ import annotations

import ctypes
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from privacy.datasource.v1 import data_source_service_pb2 as pb
from privacy.datasource.v1 import data_source_service_pb2_grpc as pb_grpc

import reference_datasource
from reference_datasource.store import CallAbandoned, Store

from .conftest import JANE, Source, StartSource

SERVICE = "privacy.datasource.v1.DataSourceService"
TAX_REASON = (
    "Invoices must be kept for 10 years for tax law (German Commercial Code § 257, Fiscal Code § 147)"
)
TIMEOUT = 10.0


def subject(email: str = JANE) -> pb.Subject:
    return pb.Subject(email=email)


def export(stub: pb_grpc.DataSourceServiceStub, email: str = JANE, **kwargs: object) -> list[pb.ExportItem]:
    responses = stub.Export(
        pb.ExportRequest(privacy_request_id="export-1", subject=subject(email)), timeout=TIMEOUT, **kwargs
    )
    items = []
    for response in responses:
        assert response.WhichOneof("payload") == "item"
        items.append(response.item)
    return items


def erase(stub: pb_grpc.DataSourceServiceStub, request_id: str, email: str = JANE) -> pb.EraseResponse:
    response: pb.EraseResponse = stub.Erase(
        pb.EraseRequest(privacy_request_id=request_id, subject=subject(email)), timeout=TIMEOUT
    )
    return response


def fields(item: pb.ExportItem) -> list[tuple[str, str]]:
    return [(f.name, f.value) for f in item.data]


def dump(db: Path) -> list[str]:
    """The whole database as SQL, to compare before and after."""
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


def count(db: Path, sql: str, *params: object) -> int:
    with closing(sqlite3.connect(db)) as conn:
        value: int = conn.execute(sql, params).fetchone()[0]
        return value


def test_describe_declares_what_the_shop_holds(start_source: StartSource) -> None:
    source = start_source("--name", "shop-under-test")

    described = source.stub.Describe(pb.DescribeRequest(), timeout=TIMEOUT)

    assert described.name == "shop-under-test"
    assert described.version == reference_datasource.__version__
    assert described.protocol_version == 1
    assert list(described.capabilities) == [pb.CAPABILITY_EXPORT, pb.CAPABILITY_ERASE]
    by_group = {c.group_id: c for c in described.categories}
    assert list(by_group) == ["profile", "orders", "comments"]

    profile = by_group["profile"]
    assert profile.label == "Profile"
    assert profile.description
    assert list(profile.purposes) == ["Running the customer account"]
    assert profile.legal_basis == pb.LEGAL_BASIS_CONTRACT
    assert list(profile.recipients) == ["Hosting provider (processor)"]
    assert profile.retention_period == "Until the account is closed or erased"
    assert profile.origin == "Provided by the subject at sign-up"

    orders = by_group["orders"]
    assert orders.label == "Orders"
    assert orders.description
    assert list(orders.purposes) == ["Fulfilling orders", "Bookkeeping and tax returns"]
    assert orders.legal_basis == pb.LEGAL_BASIS_CONTRACT
    assert list(orders.recipients) == ["Payment processor", "Tax authority, on audit"]
    assert orders.retention_period == (
        "10 years after the end of the year of the order (German Commercial Code § 257, Fiscal Code § 147)"
    )
    assert orders.origin == "Provided by the subject at checkout"

    comments = by_group["comments"]
    assert comments.label == "Comments"
    assert comments.description
    assert list(comments.purposes) == ["Showing the subject's reviews on product pages"]
    assert comments.legal_basis == pb.LEGAL_BASIS_CONSENT
    assert list(comments.recipients) == ["Other visitors of the shop (public)"]
    assert comments.retention_period == "Until the subject deletes them or asks for erasure"
    assert comments.origin == "Written by the subject"


def test_default_name_is_python_shop(start_source: StartSource) -> None:
    source = start_source()
    assert source.stub.Describe(pb.DescribeRequest(), timeout=TIMEOUT).name == "python-shop"


def test_export_streams_profile_orders_and_comments_in_order(source: Source) -> None:
    # The lookup ignores case: privacyd passes the address as the subject typed it.
    items = export(source.stub, JANE.upper())

    assert [i.item_id for i in items] == [
        "user-1",
        "order-1",
        "order-2",
        "comment-1",
        "comment-2",
        "comment-3",
    ]
    assert [i.group_id for i in items] == ["profile", "orders", "orders"] + ["comments"] * 3
    categories = {c.group_id: c for c in source.stub.Describe(pb.DescribeRequest()).categories}
    for item in items:
        assert item.group_label == categories[item.group_id].label
        assert item.group_description == categories[item.group_id].description

    assert fields(items[0]) == [
        ("Email", JANE),
        ("Name", "Jane Doe"),
        ("Member since", "2024-03-01T09:30:00Z"),
    ]
    assert fields(items[1]) == [
        ("Order number", "1"),
        ("Total", "49.90 EUR"),
        ("Placed at", "2024-03-02T14:05:00Z"),
        ("Billing name", "Jane Doe"),
        ("Billing email", JANE),
    ]
    assert fields(items[2])[1] == ("Total", "129.00 EUR")
    assert [name for name, _ in fields(items[3])] == ["Comment", "Posted at"]
    assert fields(items[4])[0] == (
        "Comment",
        "The <b>second</b> batch of beans arrived fast & well packed.",
    )


def test_unknown_subject_has_nothing_to_export_or_erase(source: Source) -> None:
    assert export(source.stub, "nobody@example.com") == []

    erased = erase(source.stub, "req-unknown", "nobody@example.com")

    assert erased.items_removed == 0
    assert erased.items_retained == 0
    assert list(erased.retentions) == []
    assert list(erased.messages) == ["Nothing held about this subject"]
    # Jane's data is untouched.
    assert len(export(source.stub)) == 6


def test_erase_removes_profile_and_comments_and_retains_orders(source: Source) -> None:
    erased = erase(source.stub, "req-1")

    assert erased.items_removed == 4
    assert erased.items_retained == 2
    assert len(erased.retentions) == 1
    retention = erased.retentions[0]
    assert retention.group_id == "orders"
    assert retention.items == 2
    assert retention.reason == TAX_REASON
    assert retention.legal_basis == pb.LEGAL_BASIS_LEGAL_OBLIGATION
    assert retention.retention_period == "10 years after the end of the year of the order"
    assert list(erased.messages) == ["Profile and comments deleted; orders kept for tax law"]

    assert count(source.db, "SELECT COUNT(*) FROM users") == 0
    assert count(source.db, "SELECT COUNT(*) FROM comments") == 0
    assert count(source.db, "SELECT COUNT(*) FROM orders WHERE customer_email = ?", JANE) == 2
    assert (
        count(
            source.db,
            "SELECT COUNT(*) FROM erasures WHERE privacy_request_id = 'req-1'"
            " AND items_removed = 4 AND items_retained = 2",
        )
        == 1
    )


def test_second_erase_with_the_same_id_changes_nothing(source: Source) -> None:
    first = erase(source.stub, "req-1")
    before = dump(source.db)

    second = erase(source.stub, "req-1")

    assert second == first
    assert dump(source.db) == before


def test_repeated_erase_deletes_what_is_left_and_answers_as_the_first(source: Source) -> None:
    """As when an operator processes a request again after the source missed data and was
    fixed: the repeated call deletes what is left and still answers exactly as the first."""
    first = erase(source.stub, "req-1")
    assert (first.items_removed, first.items_retained) == (4, 2)
    after_first = dump(source.db)
    # Data the first call missed: a comment by the subject, written straight into the
    # database. A comment belongs to a profile, so the profile is back too.
    with closing(sqlite3.connect(source.db)) as conn, conn:
        user_id = conn.execute(
            "INSERT INTO users (email, name, created_at) VALUES (?, 'Jane Doe', '2025-06-01T00:00:00Z')"
            " RETURNING id",
            (JANE,),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO comments (user_id, body, created_at)"
            " VALUES (?, 'Missed by the first erasure.', '2025-06-02T00:00:00Z')",
            (user_id,),
        )
    assert len(export(source.stub)) == 4

    second = erase(source.stub, "req-1")

    assert second == first
    assert (second.items_removed, second.items_retained) == (4, 2)
    assert [(r.group_id, r.items, r.reason) for r in second.retentions] == [("orders", 2, TAX_REASON)]
    assert count(source.db, "SELECT COUNT(*) FROM comments") == 0
    assert [i.item_id for i in export(source.stub)] == ["order-1", "order-2"]
    # Orders kept, stored answer untouched: the database is as the first call left it.
    assert dump(source.db) == after_first


def test_export_after_erase_gives_the_retained_orders_only(source: Source) -> None:
    erase(source.stub, "req-1")

    items = export(source.stub)

    assert [i.item_id for i in items] == ["order-1", "order-2"]
    assert fields(items[0])[-2:] == [("Billing name", "Jane Doe"), ("Billing email", JANE)]


def test_erase_needs_a_request_id_and_a_subject(source: Source) -> None:
    with pytest.raises(grpc.RpcError) as missing_id:
        source.stub.Erase(pb.EraseRequest(subject=subject()), timeout=TIMEOUT)
    assert missing_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    with pytest.raises(grpc.RpcError) as missing_subject:
        source.stub.Erase(pb.EraseRequest(privacy_request_id="req-1"), timeout=TIMEOUT)
    assert missing_subject.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(export(source.stub)) == 6


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_token_is_required_on_every_call_but_health(start_source: StartSource, how: str) -> None:
    token = "s3cret-token-for-tests"
    if how == "flag":
        source = start_source("--seed", JANE, "--token", token)
    else:
        source = start_source("--seed", JANE, env={"REFERENCE_SOURCE_TOKEN": token})
    good = (("authorization", f"Bearer {token}"),)
    bad = (("authorization", "Bearer not-the-token"),)

    for metadata in [(), bad]:
        with pytest.raises(grpc.RpcError) as describe:
            source.stub.Describe(pb.DescribeRequest(), metadata=metadata, timeout=TIMEOUT)
        assert describe.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as streamed:
            export(source.stub, metadata=metadata)
        assert streamed.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as erased:
            source.stub.Erase(
                pb.EraseRequest(privacy_request_id="req-1", subject=subject()),
                metadata=metadata,
                timeout=TIMEOUT,
            )
        assert erased.value.code() == grpc.StatusCode.UNAUTHENTICATED

    assert source.stub.Describe(pb.DescribeRequest(), metadata=good, timeout=TIMEOUT).protocol_version == 1
    assert len(export(source.stub, metadata=good)) == 6
    health = health_pb2_grpc.HealthStub(source.channel)
    checked = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=TIMEOUT)
    assert checked.status == health_pb2.HealthCheckResponse.SERVING


def test_health_is_serving(source: Source) -> None:
    health = health_pb2_grpc.HealthStub(source.channel)
    for service in ["", SERVICE]:
        checked = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        assert checked.status == health_pb2.HealthCheckResponse.SERVING, service


def test_erase_whose_deadline_passes_commits_nothing(source: Source) -> None:
    before = dump(source.db)
    # Another writer holds the database, so the erasure waits past the caller's deadline.
    blocker = sqlite3.connect(source.db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(grpc.RpcError) as late:
            source.stub.Erase(pb.EraseRequest(privacy_request_id="req-late", subject=subject()), timeout=0.5)
        assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        time.sleep(0.5)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # Had the source gone on after the deadline, it would commit now that the lock is free.
    time.sleep(1.0)
    assert dump(source.db) == before

    # Nothing was recorded for the id either: privacyd's retry does the whole erasure.
    retried = erase(source.stub, "req-late")
    assert (retried.items_removed, retried.items_retained) == (4, 2)


def test_store_rolls_back_when_the_caller_gives_up_before_the_commit(tmp_path: Path) -> None:
    """The check before COMMIT, where no lock is involved: the caller is active when the
    transaction starts and gone by the time the work is done."""

    class GivesUpDuringTheTransaction:
        def __init__(self) -> None:
            self.checks = 0

        def is_active(self) -> bool:
            self.checks += 1
            return self.checks == 1

        def time_remaining(self) -> float | None:
            return 10.0

    store = Store(tmp_path / "shop.db")
    store.seed(JANE)
    before = dump(tmp_path / "shop.db")

    with pytest.raises(CallAbandoned):
        store.erase("req-1", JANE, GivesUpDuringTheTransaction())

    assert dump(tmp_path / "shop.db") == before


def test_export_stops_when_the_caller_cancels(source: Source) -> None:
    # Enough data that the stream cannot all sit in gRPC's buffers at once.
    many = 20_000
    with closing(sqlite3.connect(source.db)) as conn, conn:
        conn.executemany(
            "INSERT INTO comments (user_id, body, created_at) VALUES (1, ?, '2025-01-01T00:00:00Z')",
            [("x" * 200,)] * many,
        )
    responses = source.stub.Export(
        pb.ExportRequest(privacy_request_id="req-cancel", subject=subject()), timeout=TIMEOUT
    )
    next(responses)
    responses.cancel()

    code, _, log = source.stop()

    assert code == 0
    lines = [line for line in log.splitlines() if "export req-cancel:" in line]
    assert len(lines) == 1, log
    assert "stopped: the caller gave up" in lines[0]
    sent = int(lines[0].split("export req-cancel: ")[1].split()[0])
    assert sent < many


def test_seed_does_not_duplicate_a_customer_on_restart(start_source: StartSource) -> None:
    first = start_source("--seed", JANE)
    erase(first.stub, "req-1")
    first.stop()

    # The profile is gone but the orders remain: Jane is still a customer of record.
    second = start_source("--seed", JANE, "--seed", "max@example.com")

    assert [i.item_id for i in export(second.stub)] == ["order-1", "order-2"]
    assert len(export(second.stub, "MAX@example.com")) == 6


def test_prints_one_line_stops_on_sigterm_and_logs_no_personal_data(source: Source) -> None:
    export(source.stub)
    erase(source.stub, "req-1")
    erase(source.stub, "req-1")

    code, out, log = source.stop()

    assert code == 0
    assert out == ""  # the `listening on` line was the only one
    assert "export export-1: 6 items sent, complete" in log
    assert "erase req-1: removed 4, retained 2" in log
    for personal in [JANE, "jane.doe", "Jane Doe", "Jane"]:
        assert personal.lower() not in log.lower()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tgkill is Linux's")
def test_stops_on_a_sigterm_the_kernel_gives_to_another_thread(source: Source) -> None:
    # kill(2) may hand a process's signal to any of its threads; with gRPC's many threads it
    # mostly lands elsewhere than in the main thread, which once slept through it until it
    # was killed. tgkill(2) aims it at one of the other threads on purpose.
    export(source.stub)  # the server's threads are all up
    pid = source.process.pid
    others = [int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid]
    assert others, "the source runs no thread besides its main one"
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.tgkill(pid, others[-1], signal.SIGTERM) == 0, os.strerror(ctypes.get_errno())

    code, _, log = source.stop(signal_first=False)

    assert code == 0, log
    assert "stopped" in log


def test_a_second_source_on_a_taken_port_fails_to_start(source: Source, tmp_path: Path) -> None:
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "reference_datasource",
            "--listen",
            source.address,
            "--db",
            str(tmp_path / "b.db"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert second.returncode == 1
    assert second.stdout == ""
    assert f"cannot listen on {source.address}" in second.stderr
