import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from privacy.datasource.v1 import data_source_service_pb2 as _data_source_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_EXPORT: _ClassVar[Action]
    ACTION_ERASE: _ClassVar[Action]

class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATE_UNSPECIFIED: _ClassVar[State]
    STATE_PENDING: _ClassVar[State]
    STATE_CONFIRMED: _ClassVar[State]
    STATE_PROCESSING: _ClassVar[State]
    STATE_COMPLETED: _ClassVar[State]
    STATE_FAILED: _ClassVar[State]
    STATE_DENIED: _ClassVar[State]
    STATE_CANCELLED: _ClassVar[State]
    STATE_EXPIRED: _ClassVar[State]

class ErasureOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERASURE_OUTCOME_UNSPECIFIED: _ClassVar[ErasureOutcome]
    ERASURE_OUTCOME_NOTHING_FOUND: _ClassVar[ErasureOutcome]
    ERASURE_OUTCOME_ALL_ERASED: _ClassVar[ErasureOutcome]
    ERASURE_OUTCOME_NOTHING_ERASED: _ClassVar[ErasureOutcome]
    ERASURE_OUTCOME_PARTLY_ERASED: _ClassVar[ErasureOutcome]

class VerificationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATE_UNSPECIFIED: _ClassVar[VerificationState]
    VERIFICATION_STATE_PASSED: _ClassVar[VerificationState]
    VERIFICATION_STATE_FAILED: _ClassVar[VerificationState]
    VERIFICATION_STATE_SKIPPED: _ClassVar[VerificationState]

class SourceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOURCE_STATE_UNSPECIFIED: _ClassVar[SourceState]
    SOURCE_STATE_PENDING: _ClassVar[SourceState]
    SOURCE_STATE_RUNNING: _ClassVar[SourceState]
    SOURCE_STATE_SUCCEEDED: _ClassVar[SourceState]
    SOURCE_STATE_FAILED: _ClassVar[SourceState]
    SOURCE_STATE_SKIPPED: _ClassVar[SourceState]
    SOURCE_STATE_CANCELLED: _ClassVar[SourceState]

class EmailKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMAIL_KIND_UNSPECIFIED: _ClassVar[EmailKind]
    EMAIL_KIND_CONFIRMATION_REQUEST: _ClassVar[EmailKind]
    EMAIL_KIND_ADMIN_CONFIRMED: _ClassVar[EmailKind]
    EMAIL_KIND_DEADLINE_EXTENDED: _ClassVar[EmailKind]
    EMAIL_KIND_EXPORT_READY: _ClassVar[EmailKind]
    EMAIL_KIND_ERASURE_FULFILLED: _ClassVar[EmailKind]
    EMAIL_KIND_REQUEST_DENIED: _ClassVar[EmailKind]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_SENT: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]

class BatchOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_OPERATION_UNSPECIFIED: _ClassVar[BatchOperation]
    BATCH_OPERATION_RESEND_CONFIRMATION: _ClassVar[BatchOperation]
    BATCH_OPERATION_PROCESS: _ClassVar[BatchOperation]
    BATCH_OPERATION_COMPLETE: _ClassVar[BatchOperation]
    BATCH_OPERATION_CANCEL: _ClassVar[BatchOperation]
    BATCH_OPERATION_DELETE: _ClassVar[BatchOperation]
    BATCH_OPERATION_DENY: _ClassVar[BatchOperation]

class ActorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_KIND_UNSPECIFIED: _ClassVar[ActorKind]
    ACTOR_KIND_ADMIN: _ClassVar[ActorKind]
    ACTOR_KIND_SUBJECT: _ClassVar[ActorKind]
    ACTOR_KIND_SYSTEM: _ClassVar[ActorKind]

class AuditEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_EVENT_TYPE_UNSPECIFIED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_CREATED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_CONFIRMED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_CONFIRMATION_RESENT: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_PROCESSING_STARTED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_COMPLETED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_FAILED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_DENIED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_CANCELLED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_EXPIRED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_DELETED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_DEADLINE_EXTENDED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_EMAIL_SENT: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_EMAIL_FAILED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_SOURCE_SUCCEEDED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_SOURCE_FAILED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_ARCHIVE_CREATED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_ARCHIVE_DOWNLOADED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_ARCHIVE_DELETED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_ERASURE_SCHEDULED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_ERASURE_VERIFICATION_FAILED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_DATA_SOURCE_REGISTERED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_DATA_SOURCE_UPDATED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_DATA_SOURCE_DELETED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_SOURCE_CANCELLED: _ClassVar[AuditEventType]
    AUDIT_EVENT_TYPE_SUBJECT_PURGED: _ClassVar[AuditEventType]

class AuditSubject(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_SUBJECT_UNSPECIFIED: _ClassVar[AuditSubject]
    AUDIT_SUBJECT_PRIVACY_REQUEST: _ClassVar[AuditSubject]
    AUDIT_SUBJECT_DATA_SOURCE: _ClassVar[AuditSubject]
ACTION_UNSPECIFIED: Action
ACTION_EXPORT: Action
ACTION_ERASE: Action
STATE_UNSPECIFIED: State
STATE_PENDING: State
STATE_CONFIRMED: State
STATE_PROCESSING: State
STATE_COMPLETED: State
STATE_FAILED: State
STATE_DENIED: State
STATE_CANCELLED: State
STATE_EXPIRED: State
ERASURE_OUTCOME_UNSPECIFIED: ErasureOutcome
ERASURE_OUTCOME_NOTHING_FOUND: ErasureOutcome
ERASURE_OUTCOME_ALL_ERASED: ErasureOutcome
ERASURE_OUTCOME_NOTHING_ERASED: ErasureOutcome
ERASURE_OUTCOME_PARTLY_ERASED: ErasureOutcome
VERIFICATION_STATE_UNSPECIFIED: VerificationState
VERIFICATION_STATE_PASSED: VerificationState
VERIFICATION_STATE_FAILED: VerificationState
VERIFICATION_STATE_SKIPPED: VerificationState
SOURCE_STATE_UNSPECIFIED: SourceState
SOURCE_STATE_PENDING: SourceState
SOURCE_STATE_RUNNING: SourceState
SOURCE_STATE_SUCCEEDED: SourceState
SOURCE_STATE_FAILED: SourceState
SOURCE_STATE_SKIPPED: SourceState
SOURCE_STATE_CANCELLED: SourceState
EMAIL_KIND_UNSPECIFIED: EmailKind
EMAIL_KIND_CONFIRMATION_REQUEST: EmailKind
EMAIL_KIND_ADMIN_CONFIRMED: EmailKind
EMAIL_KIND_DEADLINE_EXTENDED: EmailKind
EMAIL_KIND_EXPORT_READY: EmailKind
EMAIL_KIND_ERASURE_FULFILLED: EmailKind
EMAIL_KIND_REQUEST_DENIED: EmailKind
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_SENT: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState
BATCH_OPERATION_UNSPECIFIED: BatchOperation
BATCH_OPERATION_RESEND_CONFIRMATION: BatchOperation
BATCH_OPERATION_PROCESS: BatchOperation
BATCH_OPERATION_COMPLETE: BatchOperation
BATCH_OPERATION_CANCEL: BatchOperation
BATCH_OPERATION_DELETE: BatchOperation
BATCH_OPERATION_DENY: BatchOperation
ACTOR_KIND_UNSPECIFIED: ActorKind
ACTOR_KIND_ADMIN: ActorKind
ACTOR_KIND_SUBJECT: ActorKind
ACTOR_KIND_SYSTEM: ActorKind
AUDIT_EVENT_TYPE_UNSPECIFIED: AuditEventType
AUDIT_EVENT_TYPE_CREATED: AuditEventType
AUDIT_EVENT_TYPE_CONFIRMED: AuditEventType
AUDIT_EVENT_TYPE_CONFIRMATION_RESENT: AuditEventType
AUDIT_EVENT_TYPE_PROCESSING_STARTED: AuditEventType
AUDIT_EVENT_TYPE_COMPLETED: AuditEventType
AUDIT_EVENT_TYPE_FAILED: AuditEventType
AUDIT_EVENT_TYPE_DENIED: AuditEventType
AUDIT_EVENT_TYPE_CANCELLED: AuditEventType
AUDIT_EVENT_TYPE_EXPIRED: AuditEventType
AUDIT_EVENT_TYPE_DELETED: AuditEventType
AUDIT_EVENT_TYPE_DEADLINE_EXTENDED: AuditEventType
AUDIT_EVENT_TYPE_EMAIL_SENT: AuditEventType
AUDIT_EVENT_TYPE_EMAIL_FAILED: AuditEventType
AUDIT_EVENT_TYPE_SOURCE_SUCCEEDED: AuditEventType
AUDIT_EVENT_TYPE_SOURCE_FAILED: AuditEventType
AUDIT_EVENT_TYPE_ARCHIVE_CREATED: AuditEventType
AUDIT_EVENT_TYPE_ARCHIVE_DOWNLOADED: AuditEventType
AUDIT_EVENT_TYPE_ARCHIVE_DELETED: AuditEventType
AUDIT_EVENT_TYPE_ERASURE_SCHEDULED: AuditEventType
AUDIT_EVENT_TYPE_ERASURE_VERIFICATION_FAILED: AuditEventType
AUDIT_EVENT_TYPE_DATA_SOURCE_REGISTERED: AuditEventType
AUDIT_EVENT_TYPE_DATA_SOURCE_UPDATED: AuditEventType
AUDIT_EVENT_TYPE_DATA_SOURCE_DELETED: AuditEventType
AUDIT_EVENT_TYPE_SOURCE_CANCELLED: AuditEventType
AUDIT_EVENT_TYPE_SUBJECT_PURGED: AuditEventType
AUDIT_SUBJECT_UNSPECIFIED: AuditSubject
AUDIT_SUBJECT_PRIVACY_REQUEST: AuditSubject
AUDIT_SUBJECT_DATA_SOURCE: AuditSubject

class Subject(_message.Message):
    __slots__ = ("email", "user_id")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    email: str
    user_id: str
    def __init__(self, email: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class PrivacyRequest(_message.Message):
    __slots__ = ("id", "action", "subject", "state", "create_time", "confirm_time", "complete_time", "due_time", "update_time", "confirmation_expire_time", "state_reason", "deadline_extension_days", "deadline_extension_reason", "emails", "sources", "archive", "scheduled_process_time", "erasure", "subject_purge_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_EXTENSION_DAYS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_EXTENSION_REASON_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_PROCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    ERASURE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_PURGE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    action: Action
    subject: Subject
    state: State
    create_time: _timestamp_pb2.Timestamp
    confirm_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    confirmation_expire_time: _timestamp_pb2.Timestamp
    state_reason: str
    deadline_extension_days: int
    deadline_extension_reason: str
    emails: _containers.RepeatedCompositeFieldContainer[EmailDelivery]
    sources: _containers.RepeatedCompositeFieldContainer[SourceProgress]
    archive: ExportArchive
    scheduled_process_time: _timestamp_pb2.Timestamp
    erasure: ErasureSummary
    subject_purge_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ..., state: _Optional[_Union[State, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirmation_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state_reason: _Optional[str] = ..., deadline_extension_days: _Optional[int] = ..., deadline_extension_reason: _Optional[str] = ..., emails: _Optional[_Iterable[_Union[EmailDelivery, _Mapping]]] = ..., sources: _Optional[_Iterable[_Union[SourceProgress, _Mapping]]] = ..., archive: _Optional[_Union[ExportArchive, _Mapping]] = ..., scheduled_process_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., erasure: _Optional[_Union[ErasureSummary, _Mapping]] = ..., subject_purge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ErasureSummary(_message.Message):
    __slots__ = ("outcome", "items_removed", "items_retained", "verified", "sources_skipped")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ITEMS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_RETAINED_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    SOURCES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    outcome: ErasureOutcome
    items_removed: int
    items_retained: int
    verified: bool
    sources_skipped: int
    def __init__(self, outcome: _Optional[_Union[ErasureOutcome, str]] = ..., items_removed: _Optional[int] = ..., items_retained: _Optional[int] = ..., verified: _Optional[bool] = ..., sources_skipped: _Optional[int] = ...) -> None: ...

class SourceErasure(_message.Message):
    __slots__ = ("items_removed", "items_retained", "retentions", "messages", "erase_time")
    ITEMS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_RETAINED_FIELD_NUMBER: _ClassVar[int]
    RETENTIONS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    items_removed: int
    items_retained: int
    retentions: _containers.RepeatedCompositeFieldContainer[_data_source_service_pb2.Retention]
    messages: _containers.RepeatedScalarFieldContainer[str]
    erase_time: _timestamp_pb2.Timestamp
    def __init__(self, items_removed: _Optional[int] = ..., items_retained: _Optional[int] = ..., retentions: _Optional[_Iterable[_Union[_data_source_service_pb2.Retention, _Mapping]]] = ..., messages: _Optional[_Iterable[str]] = ..., erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Leftover(_message.Message):
    __slots__ = ("group_id", "items", "files")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    items: int
    files: int
    def __init__(self, group_id: _Optional[str] = ..., items: _Optional[int] = ..., files: _Optional[int] = ...) -> None: ...

class ErasureVerification(_message.Message):
    __slots__ = ("state", "leftovers", "detail", "verify_time")
    STATE_FIELD_NUMBER: _ClassVar[int]
    LEFTOVERS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    VERIFY_TIME_FIELD_NUMBER: _ClassVar[int]
    state: VerificationState
    leftovers: _containers.RepeatedCompositeFieldContainer[Leftover]
    detail: str
    verify_time: _timestamp_pb2.Timestamp
    def __init__(self, state: _Optional[_Union[VerificationState, str]] = ..., leftovers: _Optional[_Iterable[_Union[Leftover, _Mapping]]] = ..., detail: _Optional[str] = ..., verify_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SourceProgress(_message.Message):
    __slots__ = ("source_name", "state", "items", "bytes", "attempts", "last_error", "start_time", "finish_time", "erasure", "verification", "skip_reason", "next_attempt_time")
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    ERASURE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    SKIP_REASON_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    source_name: str
    state: SourceState
    items: int
    bytes: int
    attempts: int
    last_error: str
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    erasure: SourceErasure
    verification: ErasureVerification
    skip_reason: str
    next_attempt_time: _timestamp_pb2.Timestamp
    def __init__(self, source_name: _Optional[str] = ..., state: _Optional[_Union[SourceState, str]] = ..., items: _Optional[int] = ..., bytes: _Optional[int] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., erasure: _Optional[_Union[SourceErasure, _Mapping]] = ..., verification: _Optional[_Union[ErasureVerification, _Mapping]] = ..., skip_reason: _Optional[str] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportArchive(_message.Message):
    __slots__ = ("file_name", "size_bytes", "sha256", "create_time", "expire_time", "delete_time", "download_count")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    size_bytes: int
    sha256: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    download_count: int
    def __init__(self, file_name: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., download_count: _Optional[int] = ...) -> None: ...

class EmailDelivery(_message.Message):
    __slots__ = ("kind", "state", "attempts", "last_error", "create_time", "send_time", "next_attempt_time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    kind: EmailKind
    state: DeliveryState
    attempts: int
    last_error: str
    create_time: _timestamp_pb2.Timestamp
    send_time: _timestamp_pb2.Timestamp
    next_attempt_time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[EmailKind, str]] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., send_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePrivacyRequestRequest(_message.Message):
    __slots__ = ("subject", "action", "send_confirmation", "request_id")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SEND_CONFIRMATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    action: Action
    send_confirmation: bool
    request_id: str
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ..., action: _Optional[_Union[Action, str]] = ..., send_confirmation: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreatePrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class GetPrivacyRequestRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetPrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class ListPrivacyRequestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "action", "state", "subject_email", "subject_email_search", "created_after", "created_before", "due_before", "order_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_EMAIL_SEARCH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DUE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    action: Action
    state: State
    subject_email: str
    subject_email_search: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    due_before: _timestamp_pb2.Timestamp
    order_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., state: _Optional[_Union[State, str]] = ..., subject_email: _Optional[str] = ..., subject_email_search: _Optional[str] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListPrivacyRequestsResponse(_message.Message):
    __slots__ = ("privacy_requests", "next_page_token")
    PRIVACY_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    privacy_requests: _containers.RepeatedCompositeFieldContainer[PrivacyRequest]
    next_page_token: str
    def __init__(self, privacy_requests: _Optional[_Iterable[_Union[PrivacyRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CountPrivacyRequestsRequest(_message.Message):
    __slots__ = ("action", "subject_email", "subject_email_search", "created_after", "created_before", "due_before")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_EMAIL_SEARCH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DUE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    action: Action
    subject_email: str
    subject_email_search: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    due_before: _timestamp_pb2.Timestamp
    def __init__(self, action: _Optional[_Union[Action, str]] = ..., subject_email: _Optional[str] = ..., subject_email_search: _Optional[str] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StateCount(_message.Message):
    __slots__ = ("state", "count")
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    state: State
    count: int
    def __init__(self, state: _Optional[_Union[State, str]] = ..., count: _Optional[int] = ...) -> None: ...

class CountPrivacyRequestsResponse(_message.Message):
    __slots__ = ("state_counts", "total_count")
    STATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    state_counts: _containers.RepeatedCompositeFieldContainer[StateCount]
    total_count: int
    def __init__(self, state_counts: _Optional[_Iterable[_Union[StateCount, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class BatchModifyPrivacyRequestsRequest(_message.Message):
    __slots__ = ("ids", "operation", "reason")
    IDS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    operation: BatchOperation
    reason: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., operation: _Optional[_Union[BatchOperation, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class BatchModifyResult(_message.Message):
    __slots__ = ("id", "code", "message", "reason", "metadata", "privacy_request")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    id: str
    code: int
    message: str
    reason: str
    metadata: _containers.ScalarMap[str, str]
    privacy_request: PrivacyRequest
    def __init__(self, id: _Optional[str] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., reason: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class BatchModifyPrivacyRequestsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchModifyResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchModifyResult, _Mapping]]] = ...) -> None: ...

class GetRequestStatisticsRequest(_message.Message):
    __slots__ = ("start_time", "end_time")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ActionStatistics(_message.Message):
    __slots__ = ("action", "received_count", "completed_count", "denied_count", "cancelled_count", "expired_count", "open_count", "answered_count", "mean_days_to_answer", "median_days_to_answer")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DENIED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_DAYS_TO_ANSWER_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_DAYS_TO_ANSWER_FIELD_NUMBER: _ClassVar[int]
    action: Action
    received_count: int
    completed_count: int
    denied_count: int
    cancelled_count: int
    expired_count: int
    open_count: int
    answered_count: int
    mean_days_to_answer: float
    median_days_to_answer: float
    def __init__(self, action: _Optional[_Union[Action, str]] = ..., received_count: _Optional[int] = ..., completed_count: _Optional[int] = ..., denied_count: _Optional[int] = ..., cancelled_count: _Optional[int] = ..., expired_count: _Optional[int] = ..., open_count: _Optional[int] = ..., answered_count: _Optional[int] = ..., mean_days_to_answer: _Optional[float] = ..., median_days_to_answer: _Optional[float] = ...) -> None: ...

class GetRequestStatisticsResponse(_message.Message):
    __slots__ = ("start_time", "end_time", "actions")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    actions: _containers.RepeatedCompositeFieldContainer[ActionStatistics]
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actions: _Optional[_Iterable[_Union[ActionStatistics, _Mapping]]] = ...) -> None: ...

class ConfirmPrivacyRequestRequest(_message.Message):
    __slots__ = ("id", "token")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    token: str
    def __init__(self, id: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class ConfirmPrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class ResendConfirmationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ResendConfirmationResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class ProcessPrivacyRequestRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ProcessPrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class CompletePrivacyRequestRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CompletePrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class DenyPrivacyRequestRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DenyPrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class CancelPrivacyRequestRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelPrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class DeletePrivacyRequestRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeletePrivacyRequestResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExtendDeadlineRequest(_message.Message):
    __slots__ = ("id", "extension_days", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_DAYS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    extension_days: int
    reason: str
    def __init__(self, id: _Optional[str] = ..., extension_days: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ExtendDeadlineResponse(_message.Message):
    __slots__ = ("privacy_request",)
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ...) -> None: ...

class Actor(_message.Message):
    __slots__ = ("kind", "id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    kind: ActorKind
    id: str
    def __init__(self, kind: _Optional[_Union[ActorKind, str]] = ..., id: _Optional[str] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("sequence", "request_id", "time", "actor", "type", "from_state", "to_state", "detail", "email_kind", "data_source")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_KIND_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    request_id: str
    time: _timestamp_pb2.Timestamp
    actor: Actor
    type: AuditEventType
    from_state: State
    to_state: State
    detail: str
    email_kind: EmailKind
    data_source: str
    def __init__(self, sequence: _Optional[int] = ..., request_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[Actor, _Mapping]] = ..., type: _Optional[_Union[AuditEventType, str]] = ..., from_state: _Optional[_Union[State, str]] = ..., to_state: _Optional[_Union[State, str]] = ..., detail: _Optional[str] = ..., email_kind: _Optional[_Union[EmailKind, str]] = ..., data_source: _Optional[str] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("request_id", "page_size", "page_token", "subject", "data_source")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    page_size: int
    page_token: str
    subject: AuditSubject
    data_source: str
    def __init__(self, request_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., subject: _Optional[_Union[AuditSubject, str]] = ..., data_source: _Optional[str] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("audit_events", "next_page_token")
    AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    audit_events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    next_page_token: str
    def __init__(self, audit_events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchPrivacyRequestRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchPrivacyRequestResponse(_message.Message):
    __slots__ = ("privacy_request", "event", "replayed", "replayed_until_sequence")
    PRIVACY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_UNTIL_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    privacy_request: PrivacyRequest
    event: AuditEvent
    replayed: bool
    replayed_until_sequence: int
    def __init__(self, privacy_request: _Optional[_Union[PrivacyRequest, _Mapping]] = ..., event: _Optional[_Union[AuditEvent, _Mapping]] = ..., replayed: _Optional[bool] = ..., replayed_until_sequence: _Optional[int] = ...) -> None: ...

class DownloadExportRequest(_message.Message):
    __slots__ = ("id", "token", "offset")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    id: str
    token: str
    offset: int
    def __init__(self, id: _Optional[str] = ..., token: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class ExportArchiveHeader(_message.Message):
    __slots__ = ("file_name", "size_bytes", "sha256", "expire_time")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    size_bytes: int
    sha256: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, file_name: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DownloadExportResponse(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: ExportArchiveHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[ExportArchiveHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class GetErasureReceiptRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetErasureReceiptResponse(_message.Message):
    __slots__ = ("receipt_json", "sha256", "audit_chain_intact", "first_mismatch_sequence", "signed", "signature", "signing_key_id", "signing_public_key")
    RECEIPT_JSON_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    AUDIT_CHAIN_INTACT_FIELD_NUMBER: _ClassVar[int]
    FIRST_MISMATCH_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNING_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    receipt_json: str
    sha256: str
    audit_chain_intact: bool
    first_mismatch_sequence: int
    signed: bool
    signature: str
    signing_key_id: str
    signing_public_key: str
    def __init__(self, receipt_json: _Optional[str] = ..., sha256: _Optional[str] = ..., audit_chain_intact: _Optional[bool] = ..., first_mismatch_sequence: _Optional[int] = ..., signed: _Optional[bool] = ..., signature: _Optional[str] = ..., signing_key_id: _Optional[str] = ..., signing_public_key: _Optional[str] = ...) -> None: ...
