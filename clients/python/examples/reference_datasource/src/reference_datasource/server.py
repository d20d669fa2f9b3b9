"""Wires the data source into a gRPC server: health, the optional bearer token, the port."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from privacy.datasource.v1 import data_source_service_pb2 as pb
from privacy.datasource.v1 import data_source_service_pb2_grpc as pb_grpc

from reference_datasource.service import ShopDataSource
from reference_datasource.store import Store

SERVICE_NAME: str = pb.DESCRIPTOR.services_by_name["DataSourceService"].full_name

# privacyd runs one call per privacy request and source at a time, so a few threads are
# plenty; more would only contend for SQLite's single writer.
MAX_WORKERS = 8


# Generic only in grpc-stubs; subscripting it at run time fails.
class BearerTokenInterceptor(grpc.ServerInterceptor):  # type: ignore[type-arg]
    """Answers UNAUTHENTICATED to DataSourceService calls without `authorization: Bearer
    <token>`. Other services (health) stay open, so probes need no secret."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()
        self._deny = grpc.unary_unary_rpc_method_handler(_unauthenticated)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        if not handler_call_details.method.startswith(f"/{SERVICE_NAME}/"):
            return continuation(handler_call_details)
        presented = dict(handler_call_details.invocation_metadata).get("authorization", "")
        presented_bytes = presented.encode() if isinstance(presented, str) else presented
        # Constant-time comparison: the time taken says nothing about how much of the token
        # an attacker got right.
        if hmac.compare_digest(presented_bytes, self._expected):
            return continuation(handler_call_details)
        return self._deny


def _unauthenticated(request: Any, context: grpc.ServicerContext) -> None:
    context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token is required")


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int

    def stop(self, grace: float) -> None:
        """Reports NOT_SERVING, so health checks steer away, then lets open calls finish for
        up to `grace` seconds."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()


def start(store: Store, *, name: str, listen: str, token: str | None) -> RunningServer:
    """Starts serving on `listen` (HOST:PORT; port 0 picks a free one)."""
    interceptors: list[grpc.ServerInterceptor[Any, Any]] = [BearerTokenInterceptor(token)] if token else []
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="rpc"),
        interceptors=interceptors,
        # gRPC sets SO_REUSEPORT by default, which lets a second copy started on the same
        # port silently share the calls with the first; fail to start instead.
        options=[("grpc.so_reuseport", 0)],
    )
    pb_grpc.add_DataSourceServiceServicer_to_server(ShopDataSource(store, name), server)

    health_servicer = health.HealthServicer()
    for service in ("", SERVICE_NAME):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    # Plaintext, like privacyd's default `http://` endpoints; put TLS in front (or use
    # add_secure_port) when the network between privacyd and the source is not trusted.
    port = server.add_insecure_port(listen)
    server.start()
    return RunningServer(server=server, health=health_servicer, port=port)
