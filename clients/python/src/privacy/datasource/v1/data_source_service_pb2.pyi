from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Capability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAPABILITY_UNSPECIFIED: _ClassVar[Capability]
    CAPABILITY_EXPORT: _ClassVar[Capability]
    CAPABILITY_ERASE: _ClassVar[Capability]

class LegalBasis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEGAL_BASIS_UNSPECIFIED: _ClassVar[LegalBasis]
    LEGAL_BASIS_CONSENT: _ClassVar[LegalBasis]
    LEGAL_BASIS_CONTRACT: _ClassVar[LegalBasis]
    LEGAL_BASIS_LEGAL_OBLIGATION: _ClassVar[LegalBasis]
    LEGAL_BASIS_VITAL_INTERESTS: _ClassVar[LegalBasis]
    LEGAL_BASIS_PUBLIC_TASK: _ClassVar[LegalBasis]
    LEGAL_BASIS_LEGITIMATE_INTERESTS: _ClassVar[LegalBasis]
CAPABILITY_UNSPECIFIED: Capability
CAPABILITY_EXPORT: Capability
CAPABILITY_ERASE: Capability
LEGAL_BASIS_UNSPECIFIED: LegalBasis
LEGAL_BASIS_CONSENT: LegalBasis
LEGAL_BASIS_CONTRACT: LegalBasis
LEGAL_BASIS_LEGAL_OBLIGATION: LegalBasis
LEGAL_BASIS_VITAL_INTERESTS: LegalBasis
LEGAL_BASIS_PUBLIC_TASK: LegalBasis
LEGAL_BASIS_LEGITIMATE_INTERESTS: LegalBasis

class DescribeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DataCategory(_message.Message):
    __slots__ = ("group_id", "label", "description", "purposes", "legal_basis", "recipients", "retention_period", "origin")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PURPOSES_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    RETENTION_PERIOD_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    label: str
    description: str
    purposes: _containers.RepeatedScalarFieldContainer[str]
    legal_basis: LegalBasis
    recipients: _containers.RepeatedScalarFieldContainer[str]
    retention_period: str
    origin: str
    def __init__(self, group_id: _Optional[str] = ..., label: _Optional[str] = ..., description: _Optional[str] = ..., purposes: _Optional[_Iterable[str]] = ..., legal_basis: _Optional[_Union[LegalBasis, str]] = ..., recipients: _Optional[_Iterable[str]] = ..., retention_period: _Optional[str] = ..., origin: _Optional[str] = ...) -> None: ...

class DescribeResponse(_message.Message):
    __slots__ = ("name", "version", "protocol_version", "capabilities", "categories")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    protocol_version: int
    capabilities: _containers.RepeatedScalarFieldContainer[Capability]
    categories: _containers.RepeatedCompositeFieldContainer[DataCategory]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., protocol_version: _Optional[int] = ..., capabilities: _Optional[_Iterable[_Union[Capability, str]]] = ..., categories: _Optional[_Iterable[_Union[DataCategory, _Mapping]]] = ...) -> None: ...

class Subject(_message.Message):
    __slots__ = ("email", "user_id")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    email: str
    user_id: str
    def __init__(self, email: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ExportRequest(_message.Message):
    __slots__ = ("privacy_request_id", "subject")
    PRIVACY_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    privacy_request_id: str
    subject: Subject
    def __init__(self, privacy_request_id: _Optional[str] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ...) -> None: ...

class ExportField(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class ExportItem(_message.Message):
    __slots__ = ("group_id", "group_label", "group_description", "item_id", "data")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_LABEL_FIELD_NUMBER: _ClassVar[int]
    GROUP_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    group_label: str
    group_description: str
    item_id: str
    data: _containers.RepeatedCompositeFieldContainer[ExportField]
    def __init__(self, group_id: _Optional[str] = ..., group_label: _Optional[str] = ..., group_description: _Optional[str] = ..., item_id: _Optional[str] = ..., data: _Optional[_Iterable[_Union[ExportField, _Mapping]]] = ...) -> None: ...

class FileChunk(_message.Message):
    __slots__ = ("path", "data", "offset", "eof", "content_type", "group_id", "item_id")
    PATH_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    path: str
    data: bytes
    offset: int
    eof: bool
    content_type: str
    group_id: str
    item_id: str
    def __init__(self, path: _Optional[str] = ..., data: _Optional[bytes] = ..., offset: _Optional[int] = ..., eof: _Optional[bool] = ..., content_type: _Optional[str] = ..., group_id: _Optional[str] = ..., item_id: _Optional[str] = ...) -> None: ...

class ExportResponse(_message.Message):
    __slots__ = ("item", "file_chunk")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    FILE_CHUNK_FIELD_NUMBER: _ClassVar[int]
    item: ExportItem
    file_chunk: FileChunk
    def __init__(self, item: _Optional[_Union[ExportItem, _Mapping]] = ..., file_chunk: _Optional[_Union[FileChunk, _Mapping]] = ...) -> None: ...

class EraseRequest(_message.Message):
    __slots__ = ("privacy_request_id", "subject")
    PRIVACY_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    privacy_request_id: str
    subject: Subject
    def __init__(self, privacy_request_id: _Optional[str] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ...) -> None: ...

class Retention(_message.Message):
    __slots__ = ("group_id", "items", "reason", "legal_basis", "retention_period")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    RETENTION_PERIOD_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    items: int
    reason: str
    legal_basis: LegalBasis
    retention_period: str
    def __init__(self, group_id: _Optional[str] = ..., items: _Optional[int] = ..., reason: _Optional[str] = ..., legal_basis: _Optional[_Union[LegalBasis, str]] = ..., retention_period: _Optional[str] = ...) -> None: ...

class EraseResponse(_message.Message):
    __slots__ = ("items_removed", "items_retained", "retentions", "messages")
    ITEMS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_RETAINED_FIELD_NUMBER: _ClassVar[int]
    RETENTIONS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    items_removed: int
    items_retained: int
    retentions: _containers.RepeatedCompositeFieldContainer[Retention]
    messages: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, items_removed: _Optional[int] = ..., items_retained: _Optional[int] = ..., retentions: _Optional[_Iterable[_Union[Retention, _Mapping]]] = ..., messages: _Optional[_Iterable[str]] = ...) -> None: ...
