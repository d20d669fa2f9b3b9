"""privacy.datasource.v1.DataSourceService over the shop's Store.

This is the part to adapt when copying: what the categories declare (GDPR Art. 15(1)), how
rows become export items, and what an erasure removes and retains. Logs carry privacy request
ids and counts, never an email address or a name.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import NoReturn

import grpc
from privacy.datasource.v1 import data_source_service_pb2 as pb
from privacy.datasource.v1 import data_source_service_pb2_grpc as pb_grpc

from reference_datasource import __version__
from reference_datasource.store import CallAbandoned, Comment, Order, Profile, Store

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1

# What the source declares about each category of data it holds. Export items use the same
# group ids, labels and descriptions, so privacyd's report ties each item to its category.
PROFILE = pb.DataCategory(
    group_id="profile",
    label="Profile",
    description="The customer account: email address, name and sign-up date.",
    purposes=["Running the customer account"],
    legal_basis=pb.LEGAL_BASIS_CONTRACT,
    recipients=["Hosting provider (processor)"],
    retention_period="Until the account is closed or erased",
    origin="Provided by the subject at sign-up",
)
ORDERS = pb.DataCategory(
    group_id="orders",
    label="Orders",
    description="Purchases, with the billing name and email address.",
    purposes=["Fulfilling orders", "Bookkeeping and tax returns"],
    legal_basis=pb.LEGAL_BASIS_CONTRACT,
    recipients=["Payment processor", "Tax authority, on audit"],
    retention_period=(
        "10 years after the end of the year of the order (German Commercial Code § 257, Fiscal Code § 147)"
    ),
    origin="Provided by the subject at checkout",
)
COMMENTS = pb.DataCategory(
    group_id="comments",
    label="Comments",
    description="Product reviews the subject wrote.",
    purposes=["Showing the subject's reviews on product pages"],
    legal_basis=pb.LEGAL_BASIS_CONSENT,
    recipients=["Other visitors of the shop (public)"],
    retention_period="Until the subject deletes them or asks for erasure",
    origin="Written by the subject",
)

ORDERS_RETENTION_REASON = (
    "Invoices must be kept for 10 years for tax law (German Commercial Code § 257, Fiscal Code § 147)"
)
ORDERS_RETENTION_PERIOD = "10 years after the end of the year of the order"
ERASED_MESSAGE = "Profile and comments deleted; orders kept for tax law"
NOTHING_HELD_MESSAGE = "Nothing held about this subject"


class ShopDataSource(pb_grpc.DataSourceServiceServicer):
    """The shop's implementation of the plugin protocol."""

    def __init__(self, store: Store, name: str) -> None:
        self._store = store
        self._name = name

    def Describe(self, request: pb.DescribeRequest, context: grpc.ServicerContext) -> pb.DescribeResponse:
        return pb.DescribeResponse(
            name=self._name,
            version=__version__,
            protocol_version=PROTOCOL_VERSION,
            capabilities=[pb.CAPABILITY_EXPORT, pb.CAPABILITY_ERASE],
            categories=[PROFILE, ORDERS, COMMENTS],
        )

    def Export(self, request: pb.ExportRequest, context: grpc.ServicerContext) -> Iterator[pb.ExportResponse]:
        email = _subject_email(request.subject, context)
        sent = 0
        outcome = "stopped: the caller gave up"
        try:
            for row in self._store.export(email):
                # gRPC marks the call inactive when privacyd cancels it or its deadline
                # passes; stop reading then rather than stream into the void. Leaving the
                # loop closes the store's generator, which ends its read transaction.
                if not context.is_active():
                    return
                yield pb.ExportResponse(item=_item(row))
                sent += 1
            outcome = "complete"
        except sqlite3.Error as err:
            outcome = "failed"
            _abort_on_database_error(context, "export", request.privacy_request_id, err)
        finally:
            # Also runs when gRPC closes the stream because the caller went away.
            log.info("export %s: %d items sent, %s", request.privacy_request_id, sent, outcome)

    def Erase(self, request: pb.EraseRequest, context: grpc.ServicerContext) -> pb.EraseResponse:
        if not request.privacy_request_id:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "privacy_request_id is required")
        email = _subject_email(request.subject, context)
        try:
            erasure = self._store.erase(request.privacy_request_id, email, context)
        except CallAbandoned as abandoned:
            log.info("erase %s: %s; nothing committed", request.privacy_request_id, abandoned)
            _abort_abandoned(context, deadline_exceeded=abandoned.deadline_exceeded)
        except sqlite3.Error as err:
            _abort_on_database_error(context, "erase", request.privacy_request_id, err)
        log.info(
            "erase %s: removed %d, retained %d%s",
            request.privacy_request_id,
            erasure.items_removed,
            erasure.items_retained,
            (
                f" (repeated request: first answer returned; {erasure.leftovers_removed} left over, deleted)"
                if erasure.replayed
                else ""
            ),
        )
        # A repeated call is answered from the stored counts alone; the retention and the
        # message follow from them, so both calls give the same response.
        retentions = []
        if erasure.items_retained:
            retentions.append(
                pb.Retention(
                    group_id=ORDERS.group_id,
                    items=erasure.items_retained,
                    reason=ORDERS_RETENTION_REASON,
                    legal_basis=pb.LEGAL_BASIS_LEGAL_OBLIGATION,
                    retention_period=ORDERS_RETENTION_PERIOD,
                )
            )
        held_anything = erasure.items_removed or erasure.items_retained
        return pb.EraseResponse(
            items_removed=erasure.items_removed,
            items_retained=erasure.items_retained,
            retentions=retentions,
            messages=[ERASED_MESSAGE if held_anything else NOTHING_HELD_MESSAGE],
        )


def _item(row: Profile | Order | Comment) -> pb.ExportItem:
    match row:
        case Profile():
            return _export_item(
                PROFILE,
                f"user-{row.id}",
                ("Email", row.email),
                ("Name", row.name),
                ("Member since", row.created_at),
            )
        case Order():
            return _export_item(
                ORDERS,
                f"order-{row.id}",
                ("Order number", str(row.id)),
                ("Total", format_money(row.total_cents, row.currency)),
                ("Placed at", row.placed_at),
                ("Billing name", row.customer_name),
                ("Billing email", row.customer_email),
            )
        case Comment():
            return _export_item(
                COMMENTS,
                f"comment-{row.id}",
                ("Comment", row.body),
                ("Posted at", row.created_at),
            )


def _export_item(category: pb.DataCategory, item_id: str, *fields: tuple[str, str]) -> pb.ExportItem:
    return pb.ExportItem(
        group_id=category.group_id,
        group_label=category.label,
        group_description=category.description,
        item_id=item_id,
        data=[pb.ExportField(name=name, value=value) for name, value in fields],
    )


def format_money(cents: int, currency: str) -> str:
    """4990, "EUR" -> "49.90 EUR"; exact, without floating point."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d} {currency}"


def _subject_email(subject: pb.Subject, context: grpc.ServicerContext) -> str:
    if not subject.email:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "subject.email is required")
    return subject.email


def _abort_abandoned(context: grpc.ServicerContext, *, deadline_exceeded: bool) -> NoReturn:
    # The caller has stopped listening, but gRPC still wants a status for the call.
    if deadline_exceeded:
        context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline passed; nothing was changed")
    context.abort(grpc.StatusCode.CANCELLED, "call cancelled; nothing was changed")


def _abort_on_database_error(
    context: grpc.ServicerContext, what: str, privacy_request_id: str, err: sqlite3.Error
) -> NoReturn:
    if not context.is_active():
        # The caller went away while SQLite failed: the error reaches no one, so it is
        # logged as the abandoned call it is.
        remaining = context.time_remaining()
        deadline_exceeded = remaining is not None and remaining <= 0
        log.info("%s %s abandoned by the caller (%s)", what, privacy_request_id, err)
        _abort_abandoned(context, deadline_exceeded=deadline_exceeded)
    log.error("%s %s failed: %s", what, privacy_request_id, err)
    if isinstance(err, sqlite3.OperationalError):
        # Locked, busy or out of disk: likely to pass, and UNAVAILABLE makes privacyd retry
        # with backoff. The erasure is idempotent, so a retry is safe.
        context.abort(grpc.StatusCode.UNAVAILABLE, f"database unavailable: {err}")
    # Anything else (a broken schema, a constraint) will fail again: fail the source for this
    # request so an operator looks, instead of retrying.
    context.abort(grpc.StatusCode.INTERNAL, "database error; see the data source's log")
