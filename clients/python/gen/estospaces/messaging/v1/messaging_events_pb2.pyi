from estospaces.messaging.v1 import messaging_pb2 as _messaging_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InquiryCreated(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _messaging_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_messaging_pb2.Conversation, _Mapping]] = ...) -> None: ...

class MessageSent(_message.Message):
    __slots__ = ("conversation", "message", "sender", "recipient", "kind")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    conversation: str
    message: str
    sender: str
    recipient: str
    kind: _messaging_pb2.Message.Kind
    def __init__(self, conversation: _Optional[str] = ..., message: _Optional[str] = ..., sender: _Optional[str] = ..., recipient: _Optional[str] = ..., kind: _Optional[_Union[_messaging_pb2.Message.Kind, str]] = ...) -> None: ...

class UnreadReminder(_message.Message):
    __slots__ = ("conversation", "recipient", "sender", "listing", "listing_title", "unread_count", "preview")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    LISTING_TITLE_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    conversation: str
    recipient: str
    sender: str
    listing: str
    listing_title: str
    unread_count: int
    preview: str
    def __init__(self, conversation: _Optional[str] = ..., recipient: _Optional[str] = ..., sender: _Optional[str] = ..., listing: _Optional[str] = ..., listing_title: _Optional[str] = ..., unread_count: _Optional[int] = ..., preview: _Optional[str] = ...) -> None: ...

class ReportCreated(_message.Message):
    __slots__ = ("report", "conversation", "reported_user")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    REPORTED_USER_FIELD_NUMBER: _ClassVar[int]
    report: _messaging_pb2.Report
    conversation: str
    reported_user: str
    def __init__(self, report: _Optional[_Union[_messaging_pb2.Report, _Mapping]] = ..., conversation: _Optional[str] = ..., reported_user: _Optional[str] = ...) -> None: ...

class UserBlocked(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: _messaging_pb2.Block
    def __init__(self, block: _Optional[_Union[_messaging_pb2.Block, _Mapping]] = ...) -> None: ...
