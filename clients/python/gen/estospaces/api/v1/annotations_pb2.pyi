from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class Authentication(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTHENTICATION_UNSPECIFIED: _ClassVar[Authentication]
    AUTHENTICATION_REQUIRED: _ClassVar[Authentication]
    AUTHENTICATION_PUBLIC: _ClassVar[Authentication]
AUTHENTICATION_UNSPECIFIED: Authentication
AUTHENTICATION_REQUIRED: Authentication
AUTHENTICATION_PUBLIC: Authentication
AUTHENTICATION_FIELD_NUMBER: _ClassVar[int]
authentication: _descriptor.FieldDescriptor
HTTP_SUCCESS_STATUS_FIELD_NUMBER: _ClassVar[int]
http_success_status: _descriptor.FieldDescriptor
