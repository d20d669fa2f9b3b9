#!/usr/bin/env python3
"""Exports one subject's personal data through privacyd and downloads the archive.

    PRIVACYD_ADMIN_TOKEN=... python admin_export.py jane@example.com [--out DIR]

It creates an EXPORT request as an operator who has verified the subject
(send_confirmation=false), starts processing it unless privacyd already did (--auto-process),
prints one line per change while the data sources run, then downloads the archive with
DownloadExport, checks its size and SHA-256 against the header, and prints
`archive <path> <size> bytes sha256 <hex>`. It exits 1 if the request ends FAILED, DENIED,
CANCELLED or EXPIRED.

Environment: PRIVACYD_ADDR (default 127.0.0.1:50051), PRIVACYD_ADMIN_TOKEN (required), and
PRIVACYD_CA_FILE: a PEM file of the CA(s) that issued privacyd's TLS certificate (privacyd
started with --tls-cert); with it the script connects over TLS and checks the certificate,
without it in plaintext.
Needs privacyd-client with its `examples` extra (grpcio-status, to read error details).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from privacy.v1 import privacy_request_service_pb2 as pb
from privacy.v1 import privacy_request_service_pb2_grpc as pb_grpc

DEFAULT_ADDR = "127.0.0.1:50051"
# Unary calls should answer quickly; the watch and the download take as long as they take,
# up to --timeout.
CALL_TIMEOUT_S = 30.0

# Where watching stops with an error. FAILED is not final (the request can be processed
# again), but nothing more happens to it without an operator, so watching on is pointless.
UNSUCCESSFUL = {pb.STATE_FAILED, pb.STATE_DENIED, pb.STATE_CANCELLED, pb.STATE_EXPIRED}
# States in which privacyd has already started (or finished) the work.
STARTED = {pb.STATE_PROCESSING, pb.STATE_COMPLETED} | UNSUCCESSFUL


class ExportFailed(Exception):
    """The request did not produce an archive; the message says why."""


def open_channel(addr: str, ca_file: str | None) -> grpc.Channel:
    """A channel to privacyd: TLS trusting the CA(s) in `ca_file` if given, else plaintext."""
    if not ca_file:
        return grpc.insecure_channel(addr)
    with open(ca_file, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    return grpc.secure_channel(addr, credentials)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("email", help="the subject's email address")
    parser.add_argument(
        "--out", type=Path, default=Path.cwd(), help="folder to write the archive to (default: here)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds to wait for the export, and again for the download (default %(default)s)",
    )
    args = parser.parse_args(argv)
    token = os.environ.get("PRIVACYD_ADMIN_TOKEN")
    if not token:
        parser.error("set PRIVACYD_ADMIN_TOKEN to an admin token of privacyd")
    addr = os.environ.get("PRIVACYD_ADDR", DEFAULT_ADDR)

    with open_channel(addr, os.environ.get("PRIVACYD_CA_FILE")) as channel:
        client = AdminClient(pb_grpc.PrivacyRequestServiceStub(channel), token)
        try:
            request = client.create_export(args.email)
            print(f"created {request.id} ({state_name(request.state)})", flush=True)
            client.start_processing(request)
            client.watch_until_completed(request.id, args.timeout)
            path, size, sha256 = client.download(request.id, args.out, args.timeout)
        except ExportFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        except grpc.RpcError as err:
            print(f"error: {describe_rpc_error(err)}", file=sys.stderr)
            return 1
    print(f"archive {path} {size} bytes sha256 {sha256}")
    return 0


class AdminClient:
    """The calls this example makes, each carrying the admin token."""

    def __init__(self, stub: pb_grpc.PrivacyRequestServiceStub, token: str) -> None:
        self._stub = stub
        # Every admin method wants this header; ConfirmPrivacyRequest and DownloadExport
        # accept it in place of the subject's emailed token.
        self._metadata = (("authorization", f"Bearer {token}"),)

    def create_export(self, email: str) -> pb.PrivacyRequest:
        response: pb.CreatePrivacyRequestResponse = self._stub.CreatePrivacyRequest(
            pb.CreatePrivacyRequestRequest(
                subject=pb.Subject(email=email),
                action=pb.ACTION_EXPORT,
                # The operator has verified who is asking: no confirmation email, the request
                # starts CONFIRMED.
                send_confirmation=False,
                # AIP-155: if this call had to be retried (after a timeout, say), the same id
                # would return the request the first attempt created, not a second one.
                request_id=str(uuid.uuid4()),
            ),
            metadata=self._metadata,
            timeout=CALL_TIMEOUT_S,
        )
        return response.privacy_request

    def start_processing(self, request: pb.PrivacyRequest) -> None:
        if request.state in STARTED:
            return  # privacyd runs with --auto-process and started by itself
        try:
            self._stub.ProcessPrivacyRequest(
                pb.ProcessPrivacyRequestRequest(id=request.id),
                metadata=self._metadata,
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.RpcError as err:
            # With --auto-process privacyd may have started it (or even finished it) between
            # our two calls. Any other state is a real refusal: someone cancelled or denied it.
            reason, metadata = error_info(err)
            if reason == "ILLEGAL_TRANSITION" and metadata.get("state") in {
                pb.State.Name(pb.STATE_PROCESSING),
                pb.State.Name(pb.STATE_COMPLETED),
            }:
                return
            raise

    def watch_until_completed(self, request_id: str, timeout: float) -> None:
        """Prints one line per change until the request is COMPLETED; raises ExportFailed
        when it fails or ends otherwise."""
        last_line = ""
        changes: Iterator[pb.WatchPrivacyRequestResponse] = self._stub.WatchPrivacyRequest(
            pb.WatchPrivacyRequestRequest(id=request_id), metadata=self._metadata, timeout=timeout
        )
        try:
            for change in changes:
                if not change.HasField("privacy_request"):
                    raise ExportFailed(f"request {request_id} was deleted")
                request = change.privacy_request
                line = progress_line(request)
                if line != last_line:
                    print(line, flush=True)
                    last_line = line
                if request.state == pb.STATE_COMPLETED:
                    return
                if request.state in UNSUCCESSFUL:
                    raise ExportFailed(
                        f"request {request_id} is {state_name(request.state)}: {request.state_reason}"
                    )
        finally:
            # The stream may still be open (FAILED is not final, and privacyd may send more
            # after COMPLETED); the returned iterator is also the grpc.Call that cancels it.
            cast(grpc.Call, changes).cancel()
        raise ExportFailed(f"the watch of {request_id} ended before the request completed")

    def download(self, request_id: str, out: Path, timeout: float) -> tuple[Path, int, str]:
        """Streams the archive into `out`, checking it against the header before it takes its
        final name, so a file under that name is always a complete, verified archive."""
        chunks: Iterator[pb.DownloadExportResponse] = self._stub.DownloadExport(
            pb.DownloadExportRequest(id=request_id), metadata=self._metadata, timeout=timeout
        )
        first = next(chunks, None)
        if first is None or not first.HasField("header"):
            raise ExportFailed("DownloadExport did not start with a header")
        header = first.header
        # The name comes from the server: keep only its last component, so it cannot write
        # outside `out`.
        name = Path(header.file_name).name or f"privacy-export-{request_id}.zip"
        out.mkdir(parents=True, exist_ok=True)
        path = out / name
        partial = path.with_name(path.name + ".part")
        digest = hashlib.sha256()
        size = 0
        try:
            with partial.open("wb") as file:
                for message in chunks:
                    if not message.HasField("chunk"):
                        raise ExportFailed("DownloadExport sent a second header")
                    file.write(message.chunk)
                    digest.update(message.chunk)
                    size += len(message.chunk)
            if size != header.size_bytes:
                raise ExportFailed(f"archive has {size} bytes, header says {header.size_bytes}")
            if digest.hexdigest() != header.sha256:
                raise ExportFailed(f"archive SHA-256 {digest.hexdigest()} != header's {header.sha256}")
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return path, size, header.sha256


def progress_line(request: pb.PrivacyRequest) -> str:
    sources = ", ".join(
        f"{s.source_name} {source_state_name(s.state)} {s.items} items" for s in request.sources
    )
    return f"{state_name(request.state)}" + (f": {sources}" if sources else "")


def state_name(state: int) -> str:
    return pb.State.Name(state).removeprefix("STATE_")


def source_state_name(state: int) -> str:
    return pb.SourceState.Name(state).removeprefix("SOURCE_STATE_")


def error_info(err: grpc.RpcError) -> tuple[str, dict[str, str]]:
    """The stable `reason` and the metadata of the google.rpc.ErrorInfo privacyd attaches to
    its errors; ("", {}) when there is none."""
    # An RpcError raised by a call is also the grpc.Call that failed.
    status = rpc_status.from_call(cast(grpc.Call, err))  # the grpc-status-details-bin trailer
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                return info.reason, dict(info.metadata)
    return "", {}


def describe_rpc_error(err: grpc.RpcError) -> str:
    call = cast(grpc.Call, err)
    reason, metadata = error_info(err)
    extra = f" {reason}" if reason else ""
    if metadata:
        extra += " " + ", ".join(f"{k}={v}" for k, v in sorted(metadata.items()))
    return f"{call.code().name}{extra}: {call.details()}"


if __name__ == "__main__":
    sys.exit(main())
