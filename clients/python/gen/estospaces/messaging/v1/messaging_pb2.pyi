import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Conversation(_message.Message):
    __slots__ = ("name", "listing", "listing_title", "topic", "inquirer", "owner", "booking", "contact_details_allowed", "participants", "last_message", "unread_count", "create_time", "update_time")
    class Topic(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TOPIC_UNSPECIFIED: _ClassVar[Conversation.Topic]
        TOPIC_STAY: _ClassVar[Conversation.Topic]
        TOPIC_RENTAL: _ClassVar[Conversation.Topic]
        TOPIC_SALE: _ClassVar[Conversation.Topic]
    TOPIC_UNSPECIFIED: Conversation.Topic
    TOPIC_STAY: Conversation.Topic
    TOPIC_RENTAL: Conversation.Topic
    TOPIC_SALE: Conversation.Topic
    NAME_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    LISTING_TITLE_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    INQUIRER_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    CONTACT_DETAILS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    listing: str
    listing_title: str
    topic: Conversation.Topic
    inquirer: str
    owner: str
    booking: str
    contact_details_allowed: bool
    participants: _containers.RepeatedCompositeFieldContainer[Participant]
    last_message: Message
    unread_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., listing: _Optional[str] = ..., listing_title: _Optional[str] = ..., topic: _Optional[_Union[Conversation.Topic, str]] = ..., inquirer: _Optional[str] = ..., owner: _Optional[str] = ..., booking: _Optional[str] = ..., contact_details_allowed: _Optional[bool] = ..., participants: _Optional[_Iterable[_Union[Participant, _Mapping]]] = ..., last_message: _Optional[_Union[Message, _Mapping]] = ..., unread_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Participant(_message.Message):
    __slots__ = ("user", "last_read_message", "read_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    LAST_READ_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    last_read_message: str
    read_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., last_read_message: _Optional[str] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("name", "sender", "kind", "text", "attachments", "system_event", "booking", "contact_details_masked", "request_id", "create_time", "edit_time", "delete_time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Message.Kind]
        KIND_TEXT: _ClassVar[Message.Kind]
        KIND_SYSTEM: _ClassVar[Message.Kind]
    KIND_UNSPECIFIED: Message.Kind
    KIND_TEXT: Message.Kind
    KIND_SYSTEM: Message.Kind
    NAME_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_EVENT_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    CONTACT_DETAILS_MASKED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EDIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    sender: str
    kind: Message.Kind
    text: str
    attachments: _containers.RepeatedScalarFieldContainer[str]
    system_event: str
    booking: str
    contact_details_masked: bool
    request_id: str
    create_time: _timestamp_pb2.Timestamp
    edit_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., sender: _Optional[str] = ..., kind: _Optional[_Union[Message.Kind, str]] = ..., text: _Optional[str] = ..., attachments: _Optional[_Iterable[str]] = ..., system_event: _Optional[str] = ..., booking: _Optional[str] = ..., contact_details_masked: _Optional[bool] = ..., request_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., edit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReadReceipt(_message.Message):
    __slots__ = ("conversation", "reader", "last_read_message", "read_time")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    LAST_READ_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    conversation: str
    reader: str
    last_read_message: str
    read_time: _timestamp_pb2.Timestamp
    def __init__(self, conversation: _Optional[str] = ..., reader: _Optional[str] = ..., last_read_message: _Optional[str] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TypingIndicator(_message.Message):
    __slots__ = ("conversation", "user", "expire_time")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    conversation: str
    user: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, conversation: _Optional[str] = ..., user: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("name", "blocked_user", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_USER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    blocked_user: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., blocked_user: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("name", "subject", "reason", "details", "reporter", "create_time")
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[Report.Reason]
        REASON_SPAM: _ClassVar[Report.Reason]
        REASON_SCAM: _ClassVar[Report.Reason]
        REASON_ABUSE: _ClassVar[Report.Reason]
        REASON_OFF_PLATFORM_PAYMENT: _ClassVar[Report.Reason]
        REASON_OTHER: _ClassVar[Report.Reason]
    REASON_UNSPECIFIED: Report.Reason
    REASON_SPAM: Report.Reason
    REASON_SCAM: Report.Reason
    REASON_ABUSE: Report.Reason
    REASON_OFF_PLATFORM_PAYMENT: Report.Reason
    REASON_OTHER: Report.Reason
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    subject: str
    reason: Report.Reason
    details: str
    reporter: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., subject: _Optional[str] = ..., reason: _Optional[_Union[Report.Reason, str]] = ..., details: _Optional[str] = ..., reporter: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
