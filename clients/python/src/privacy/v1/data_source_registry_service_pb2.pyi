import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from privacy.datasource.v1 import data_source_service_pb2 as _data_source_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HealthStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEALTH_STATUS_UNSPECIFIED: _ClassVar[HealthStatus]
    HEALTH_STATUS_SERVING: _ClassVar[HealthStatus]
    HEALTH_STATUS_NOT_SERVING: _ClassVar[HealthStatus]
    HEALTH_STATUS_UNREACHABLE: _ClassVar[HealthStatus]
HEALTH_STATUS_UNSPECIFIED: HealthStatus
HEALTH_STATUS_SERVING: HealthStatus
HEALTH_STATUS_NOT_SERVING: HealthStatus
HEALTH_STATUS_UNREACHABLE: HealthStatus

class DataSource(_message.Message):
    __slots__ = ("name", "endpoint", "tls", "ca_cert_pem", "has_auth_token", "call_timeout", "enabled", "description", "create_time", "update_time", "connect_timeout", "stream_idle_timeout", "stream_max_duration", "max_concurrent_calls")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    CA_CERT_PEM_FIELD_NUMBER: _ClassVar[int]
    HAS_AUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CALL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONNECT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STREAM_IDLE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STREAM_MAX_DURATION_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_CALLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    endpoint: str
    tls: bool
    ca_cert_pem: str
    has_auth_token: bool
    call_timeout: _duration_pb2.Duration
    enabled: bool
    description: _data_source_service_pb2.DescribeResponse
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    connect_timeout: _duration_pb2.Duration
    stream_idle_timeout: _duration_pb2.Duration
    stream_max_duration: _duration_pb2.Duration
    max_concurrent_calls: int
    def __init__(self, name: _Optional[str] = ..., endpoint: _Optional[str] = ..., tls: _Optional[bool] = ..., ca_cert_pem: _Optional[str] = ..., has_auth_token: _Optional[bool] = ..., call_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., enabled: _Optional[bool] = ..., description: _Optional[_Union[_data_source_service_pb2.DescribeResponse, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., connect_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stream_idle_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stream_max_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_concurrent_calls: _Optional[int] = ...) -> None: ...

class RegisterDataSourceRequest(_message.Message):
    __slots__ = ("name", "endpoint", "auth_token", "tls", "ca_cert_pem", "call_timeout", "enabled", "connect_timeout", "stream_idle_timeout", "stream_max_duration", "max_concurrent_calls")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    AUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    CA_CERT_PEM_FIELD_NUMBER: _ClassVar[int]
    CALL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CONNECT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STREAM_IDLE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STREAM_MAX_DURATION_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_CALLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    endpoint: str
    auth_token: str
    tls: bool
    ca_cert_pem: str
    call_timeout: _duration_pb2.Duration
    enabled: bool
    connect_timeout: _duration_pb2.Duration
    stream_idle_timeout: _duration_pb2.Duration
    stream_max_duration: _duration_pb2.Duration
    max_concurrent_calls: int
    def __init__(self, name: _Optional[str] = ..., endpoint: _Optional[str] = ..., auth_token: _Optional[str] = ..., tls: _Optional[bool] = ..., ca_cert_pem: _Optional[str] = ..., call_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., enabled: _Optional[bool] = ..., connect_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stream_idle_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stream_max_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_concurrent_calls: _Optional[int] = ...) -> None: ...

class RegisterDataSourceResponse(_message.Message):
    __slots__ = ("data_source",)
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    data_source: DataSource
    def __init__(self, data_source: _Optional[_Union[DataSource, _Mapping]] = ...) -> None: ...

class GetDataSourceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDataSourceResponse(_message.Message):
    __slots__ = ("data_source",)
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    data_source: DataSource
    def __init__(self, data_source: _Optional[_Union[DataSource, _Mapping]] = ...) -> None: ...

class ListDataSourcesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDataSourcesResponse(_message.Message):
    __slots__ = ("data_sources", "next_page_token")
    DATA_SOURCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    data_sources: _containers.RepeatedCompositeFieldContainer[DataSource]
    next_page_token: str
    def __init__(self, data_sources: _Optional[_Iterable[_Union[DataSource, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateDataSourceRequest(_message.Message):
    __slots__ = ("name", "endpoint", "auth_token", "tls", "ca_cert_pem", "call_timeout", "enabled", "connect_timeout", "stream_idle_timeout", "stream_max_duration", "max_concurrent_calls")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    AUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    CA_CERT_PEM_FIELD_NUMBER: _ClassVar[int]
    CALL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CONNECT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STREAM_IDLE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STREAM_MAX_DURATION_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_CALLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    endpoint: str
    auth_token: str
    tls: bool
    ca_cert_pem: str
    call_timeout: _duration_pb2.Duration
    enabled: bool
    connect_timeout: _duration_pb2.Duration
    stream_idle_timeout: _duration_pb2.Duration
    stream_max_duration: _duration_pb2.Duration
    max_concurrent_calls: int
    def __init__(self, name: _Optional[str] = ..., endpoint: _Optional[str] = ..., auth_token: _Optional[str] = ..., tls: _Optional[bool] = ..., ca_cert_pem: _Optional[str] = ..., call_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., enabled: _Optional[bool] = ..., connect_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stream_idle_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stream_max_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_concurrent_calls: _Optional[int] = ...) -> None: ...

class UpdateDataSourceResponse(_message.Message):
    __slots__ = ("data_source",)
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    data_source: DataSource
    def __init__(self, data_source: _Optional[_Union[DataSource, _Mapping]] = ...) -> None: ...

class DeleteDataSourceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDataSourceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CheckDataSourceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CheckDataSourceResponse(_message.Message):
    __slots__ = ("health", "description", "error", "latency")
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    health: HealthStatus
    description: _data_source_service_pb2.DescribeResponse
    error: str
    latency: _duration_pb2.Duration
    def __init__(self, health: _Optional[_Union[HealthStatus, str]] = ..., description: _Optional[_Union[_data_source_service_pb2.DescribeResponse, _Mapping]] = ..., error: _Optional[str] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
