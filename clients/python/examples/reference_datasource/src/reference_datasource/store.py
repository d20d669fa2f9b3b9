"""The shop's database: schema, demo data, and the two operations privacyd needs.

Nothing here knows about gRPC. The caller passes a `Call` (a grpc.ServicerContext fits) so
that long waits are bounded by the caller's deadline and nothing is committed after the
caller has given up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Keyed by email rather than by user: invoices outlive the account (tax law).
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    customer_email TEXT NOT NULL COLLATE NOCASE,
    customer_name TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    placed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_customer_email ON orders (customer_email);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_user_id ON comments (user_id);
-- One row per privacy request erased: what makes Erase idempotent.
CREATE TABLE IF NOT EXISTS erasures (
    privacy_request_id TEXT PRIMARY KEY,
    items_removed INTEGER NOT NULL,
    items_retained INTEGER NOT NULL,
    erased_at TEXT NOT NULL
);
"""

# How long a statement waits for another writer's lock when the caller set no deadline.
DEFAULT_BUSY_TIMEOUT_S = 5.0

# Demo data for --seed. Fixed values, so that a demo export looks the same on every run.
DEMO_SIGNUP = "2024-03-01T09:30:00Z"
DEMO_ORDERS = ((4990, "EUR", "2024-03-02T14:05:00Z"), (12900, "EUR", "2024-11-18T19:42:00Z"))
DEMO_COMMENTS = (
    ("Sturdy grinder, and quieter than I expected.", "2024-03-09T18:20:00Z"),
    # Markup and an ampersand: privacyd must escape what sources send.
    ("The <b>second</b> batch of beans arrived fast & well packed.", "2024-11-25T08:02:00Z"),
    ("Would buy again.", "2025-01-04T12:47:00Z"),
)


class Call(Protocol):
    """The caller's side of a call, as far as the store cares (grpc.ServicerContext fits)."""

    def is_active(self) -> bool: ...

    def time_remaining(self) -> float | None: ...


class CallAbandoned(Exception):
    """The caller cancelled, or its deadline passed; the transaction was rolled back."""

    def __init__(self, *, deadline_exceeded: bool) -> None:
        super().__init__("deadline exceeded" if deadline_exceeded else "cancelled")
        self.deadline_exceeded = deadline_exceeded


@dataclass(frozen=True)
class Profile:
    id: int
    email: str
    name: str
    created_at: str


@dataclass(frozen=True)
class Order:
    id: int
    customer_email: str
    customer_name: str
    total_cents: int
    currency: str
    placed_at: str


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    created_at: str


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, or, when `replayed`, what the first call with its id did (its
    answer) plus `leftovers_removed`: rows this call deleted because they were still there,
    which are not part of the answer."""

    items_removed: int
    items_retained: int
    replayed: bool
    leftovers_removed: int = 0


class Store:
    """The shop's SQLite database. Safe to share between threads: each call opens its own
    connection, which SQLite makes cheap, instead of sharing one behind a lock."""

    def __init__(self, path: Path) -> None:
        self._path = path
        with self._connect() as conn:
            # WAL lets exports read while an erasure writes, and gives each read
            # transaction a consistent snapshot. The setting is stored in the file.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SCHEMA)

    def _connect(self) -> _Connection:
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE below)
        # instead of implicitly by the sqlite3 module. check_same_thread=False because gRPC
        # may close an abandoned Export stream from another thread; a connection is still
        # used by one thread at a time.
        conn = sqlite3.connect(
            self._path,
            isolation_level=None,
            timeout=DEFAULT_BUSY_TIMEOUT_S,
            check_same_thread=False,
        )
        conn.execute("PRAGMA foreign_keys = ON")
        return _Connection(conn)

    def seed(self, email: str) -> bool:
        """Adds a demo customer (profile, 2 orders, 3 comments) unless one with this email
        exists. Returns whether it added one."""
        with self._connect() as conn, conn.transaction():
            # Orders count as "exists" too: after an erasure the orders remain, and seeding
            # again on the next start must not add two more.
            known = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?)"
                " OR EXISTS (SELECT 1 FROM orders WHERE customer_email = ?)",
                (email, email),
            ).fetchone()[0]
            if known:
                return False
            name = demo_name(email)
            user_id = conn.execute(
                "INSERT INTO users (email, name, created_at) VALUES (?, ?, ?) RETURNING id",
                (email, name, DEMO_SIGNUP),
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO orders (customer_email, customer_name, total_cents, currency,"
                " placed_at) VALUES (?, ?, ?, ?, ?)",
                [(email, name, cents, currency, at) for cents, currency, at in DEMO_ORDERS],
            )
            conn.executemany(
                "INSERT INTO comments (user_id, body, created_at) VALUES (?, ?, ?)",
                [(user_id, body, at) for body, at in DEMO_COMMENTS],
            )
            return True

    def export(self, email: str) -> Iterator[Profile | Order | Comment]:
        """Everything held about the subject: the profile, then orders, then comments, each
        by id. Rows are read lazily, so memory stays small however much there is; the read
        transaction makes the whole export one snapshot, so an export racing an erasure
        sees all of the subject's data or none of what was erased."""
        with self._connect() as conn, conn.transaction(write=False):
            # `=` on a COLLATE NOCASE column compares case-insensitively (ASCII letters).
            user = conn.execute(
                "SELECT id, email, name, created_at FROM users WHERE email = ?", (email,)
            ).fetchone()
            if user is not None:
                yield Profile(*user)
            for row in conn.execute(
                "SELECT id, customer_email, customer_name, total_cents, currency, placed_at"
                " FROM orders WHERE customer_email = ? ORDER BY id",
                (email,),
            ):
                yield Order(*row)
            if user is not None:
                for row in conn.execute(
                    "SELECT id, body, created_at FROM comments WHERE user_id = ? ORDER BY id",
                    (user[0],),
                ):
                    yield Comment(*row)

    def erase(self, privacy_request_id: str, email: str, call: Call) -> Erasure:
        """Deletes the subject's comments and profile and keeps their orders, in one
        transaction. Raises CallAbandoned, having committed nothing, when the caller gives up
        first.

        The answer is recorded once per privacy request id. A repeated id gets the first
        call's counts, unchanged, as the contract requires (privacyd shows the answer it
        recorded, and after a crash that is the repeated call's), but still deletes whatever
        of the subject's comments and profile is there (after a correct first call, nothing),
        so that processing a request again after a fixed bug leaves only the retained orders."""
        # A write transaction (BEGIN IMMEDIATE) takes the write lock at once, so the
        # idempotency check below and the writes after it cannot interleave with a concurrent
        # Erase of the same id.
        with self._connect() as conn, conn.transaction(call=call):
            done = conn.execute(
                "SELECT items_removed, items_retained FROM erasures WHERE privacy_request_id = ?",
                (privacy_request_id,),
            ).fetchone()
            removed = _delete_subject(conn, email)
            if done is not None:
                # The stored answer stands: the record is neither updated nor added to.
                return Erasure(
                    items_removed=done[0], items_retained=done[1], replayed=True, leftovers_removed=removed
                )

            retained = conn.execute(
                "SELECT COUNT(*) FROM orders WHERE customer_email = ?", (email,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO erasures (privacy_request_id, items_removed, items_retained,"
                " erased_at) VALUES (?, ?, ?, ?)",
                (privacy_request_id, removed, retained, utc_now()),
            )
            return Erasure(items_removed=removed, items_retained=retained, replayed=False)


def _delete_subject(conn: _Connection, email: str) -> int:
    """Deletes the comments and the profile of the subject with this email; returns how many
    rows it deleted."""
    user = conn.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    if user is None:
        return 0
    removed: int = conn.execute("DELETE FROM comments WHERE user_id = ?", (user[0],)).rowcount
    removed += conn.execute("DELETE FROM users WHERE id = ?", (user[0],)).rowcount
    return removed


class _Connection:
    """A sqlite3 connection that is closed on exit (sqlite3's own context manager only ends
    a transaction) and that runs transactions bounded by the caller's deadline."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.execute = conn.execute
        self.executemany = conn.executemany
        self.executescript = conn.executescript

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

    def transaction(self, *, write: bool = True, call: Call | None = None) -> _Transaction:
        return _Transaction(self._conn, write=write, call=call)


class _Transaction:
    """BEGIN on entry; COMMIT on a normal exit, ROLLBACK on an exception or an early exit of
    a generator. With a `call`, waits for locks end at the caller's deadline, and the commit
    happens only while the caller still wants the result."""

    def __init__(self, conn: sqlite3.Connection, *, write: bool, call: Call | None) -> None:
        self._conn = conn
        self._write = write
        self._call = call

    def __enter__(self) -> None:
        self._execute_within_call("BEGIN IMMEDIATE" if self._write else "BEGIN")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None:
            self._rollback()
            return
        try:
            # Never commit once the caller has given up: it counts the call as failed (and
            # privacyd will retry it), so applying the erasure now would do something nobody
            # is told about.
            self._execute_within_call("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _execute_within_call(self, statement: str) -> None:
        """Runs BEGIN or COMMIT, the statements that wait for another writer's lock, unless
        the caller has given up; the wait ends at the caller's deadline rather than after
        DEFAULT_BUSY_TIMEOUT_S. Raises CallAbandoned otherwise."""
        if self._call is None:
            self._conn.execute(statement)
            return
        remaining = self._call.time_remaining()
        if remaining is not None and remaining <= 0:
            raise CallAbandoned(deadline_exceeded=True)
        if not self._call.is_active():
            raise CallAbandoned(deadline_exceeded=False)
        cut_by_deadline = remaining is not None and remaining < DEFAULT_BUSY_TIMEOUT_S
        wait = min(remaining, DEFAULT_BUSY_TIMEOUT_S) if remaining is not None else DEFAULT_BUSY_TIMEOUT_S
        self._conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            self._conn.execute(statement)
        except sqlite3.OperationalError as err:
            if cut_by_deadline and getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
                # Still locked when the deadline came: the caller has given up by now.
                raise CallAbandoned(deadline_exceeded=True) from err
            raise


def demo_name(email: str) -> str:
    """A plausible name from an address: "jane.doe@example.com" -> "Jane Doe"."""
    local = email.split("@", 1)[0]
    words = local.replace("_", ".").replace("-", ".").replace("+", ".").split(".")
    return " ".join(word.capitalize() for word in words if word) or "Demo Customer"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
