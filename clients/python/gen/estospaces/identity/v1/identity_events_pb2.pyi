import datetime

from estospaces.identity.v1 import identity_service_pb2 as _identity_service_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UserRegistered(_message.Message):
    __slots__ = ("user", "email", "roles", "create_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    email: str
    roles: _containers.RepeatedScalarFieldContainer[_identity_service_pb2.Role]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., email: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[_identity_service_pb2.Role, str]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EmailVerificationRequested(_message.Message):
    __slots__ = ("user", "email", "token", "expire_time", "sealed_token")
    USER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEALED_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user: str
    email: str
    token: str
    expire_time: _timestamp_pb2.Timestamp
    sealed_token: SealedSecret
    def __init__(self, user: _Optional[str] = ..., email: _Optional[str] = ..., token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sealed_token: _Optional[_Union[SealedSecret, _Mapping]] = ...) -> None: ...

class PasswordResetRequested(_message.Message):
    __slots__ = ("user", "email", "token", "expire_time", "sealed_token")
    USER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEALED_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user: str
    email: str
    token: str
    expire_time: _timestamp_pb2.Timestamp
    sealed_token: SealedSecret
    def __init__(self, user: _Optional[str] = ..., email: _Optional[str] = ..., token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sealed_token: _Optional[_Union[SealedSecret, _Mapping]] = ...) -> None: ...

class SealedSecret(_message.Message):
    __slots__ = ("key_id", "ciphertext")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    CIPHERTEXT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    ciphertext: bytes
    def __init__(self, key_id: _Optional[str] = ..., ciphertext: _Optional[bytes] = ...) -> None: ...

class RolesChanged(_message.Message):
    __slots__ = ("user", "roles", "change_time", "actor")
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    user: str
    roles: _containers.RepeatedScalarFieldContainer[_identity_service_pb2.Role]
    change_time: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, user: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[_identity_service_pb2.Role, str]]] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UserDeleted(_message.Message):
    __slots__ = ("user", "delete_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    delete_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SignedIn(_message.Message):
    __slots__ = ("user", "session", "user_agent", "client_address", "sign_in_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SIGN_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    session: str
    user_agent: str
    client_address: str
    sign_in_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., session: _Optional[str] = ..., user_agent: _Optional[str] = ..., client_address: _Optional[str] = ..., sign_in_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MfaChanged(_message.Message):
    __slots__ = ("user", "enabled", "change_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    enabled: bool
    change_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., enabled: _Optional[bool] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserStateChanged(_message.Message):
    __slots__ = ("user", "previous_state", "state", "suspend_end_time", "actor", "reason", "change_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUSPEND_END_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    previous_state: _identity_service_pb2.User.State
    state: _identity_service_pb2.User.State
    suspend_end_time: _timestamp_pb2.Timestamp
    actor: str
    reason: str
    change_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., previous_state: _Optional[_Union[_identity_service_pb2.User.State, str]] = ..., state: _Optional[_Union[_identity_service_pb2.User.State, str]] = ..., suspend_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
