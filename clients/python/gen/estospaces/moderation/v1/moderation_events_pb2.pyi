from estospaces.moderation.v1 import moderation_pb2 as _moderation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContentHeld(_message.Message):
    __slots__ = ("check",)
    CHECK_FIELD_NUMBER: _ClassVar[int]
    check: _moderation_pb2.ContentCheck
    def __init__(self, check: _Optional[_Union[_moderation_pb2.ContentCheck, _Mapping]] = ...) -> None: ...

class CaseDecided(_message.Message):
    __slots__ = ("case", "reporters")
    CASE_FIELD_NUMBER: _ClassVar[int]
    REPORTERS_FIELD_NUMBER: _ClassVar[int]
    case: _moderation_pb2.Case
    reporters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, case: _Optional[_Union[_moderation_pb2.Case, _Mapping]] = ..., reporters: _Optional[_Iterable[str]] = ...) -> None: ...
