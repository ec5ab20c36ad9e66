import datetime

from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.messaging.v1 import messaging_pb2 as _messaging_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateInquiryRequest(_message.Message):
    __slots__ = ("listing", "message")
    LISTING_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    listing: str
    message: _messaging_pb2.Message
    def __init__(self, listing: _Optional[str] = ..., message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ...) -> None: ...

class CreateInquiryResponse(_message.Message):
    __slots__ = ("conversation", "message", "created")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    conversation: _messaging_pb2.Conversation
    message: _messaging_pb2.Message
    created: bool
    def __init__(self, conversation: _Optional[_Union[_messaging_pb2.Conversation, _Mapping]] = ..., message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _messaging_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_messaging_pb2.Conversation, _Mapping]] = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "unread_only")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    unread_only: bool
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., unread_only: _Optional[bool] = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ("conversations", "next_page_token", "total_unread_count")
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[_messaging_pb2.Conversation]
    next_page_token: str
    total_unread_count: int
    def __init__(self, conversations: _Optional[_Iterable[_Union[_messaging_pb2.Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_unread_count: _Optional[int] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ("parent", "message")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    message: _messaging_pb2.Message
    def __init__(self, parent: _Optional[str] = ..., message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ...) -> None: ...

class SendMessageResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _messaging_pb2.Message
    def __init__(self, message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ...) -> None: ...

class ListMessagesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_page_token")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_messaging_pb2.Message]
    next_page_token: str
    def __init__(self, messages: _Optional[_Iterable[_Union[_messaging_pb2.Message, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateMessageRequest(_message.Message):
    __slots__ = ("message", "update_mask")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    message: _messaging_pb2.Message
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateMessageResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _messaging_pb2.Message
    def __init__(self, message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ...) -> None: ...

class DeleteMessageRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteMessageResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _messaging_pb2.Message
    def __init__(self, message: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ...) -> None: ...

class MarkConversationReadRequest(_message.Message):
    __slots__ = ("name", "last_read_message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_READ_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    last_read_message: str
    def __init__(self, name: _Optional[str] = ..., last_read_message: _Optional[str] = ...) -> None: ...

class MarkConversationReadResponse(_message.Message):
    __slots__ = ("read_receipt", "total_unread_count")
    READ_RECEIPT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    read_receipt: _messaging_pb2.ReadReceipt
    total_unread_count: int
    def __init__(self, read_receipt: _Optional[_Union[_messaging_pb2.ReadReceipt, _Mapping]] = ..., total_unread_count: _Optional[int] = ...) -> None: ...

class SendTypingIndicatorRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SendTypingIndicatorResponse(_message.Message):
    __slots__ = ("typing_indicator",)
    TYPING_INDICATOR_FIELD_NUMBER: _ClassVar[int]
    typing_indicator: _messaging_pb2.TypingIndicator
    def __init__(self, typing_indicator: _Optional[_Union[_messaging_pb2.TypingIndicator, _Mapping]] = ...) -> None: ...

class StreamConversationEventsRequest(_message.Message):
    __slots__ = ("parent", "after_cursor")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AFTER_CURSOR_FIELD_NUMBER: _ClassVar[int]
    parent: str
    after_cursor: str
    def __init__(self, parent: _Optional[str] = ..., after_cursor: _Optional[str] = ...) -> None: ...

class StreamConversationEventsResponse(_message.Message):
    __slots__ = ("cursor", "conversation", "message_sent", "message_edited", "message_deleted", "read_receipt", "typing_indicator", "unread_count", "total_unread_count", "event_time")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_SENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_EDITED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_DELETED_FIELD_NUMBER: _ClassVar[int]
    READ_RECEIPT_FIELD_NUMBER: _ClassVar[int]
    TYPING_INDICATOR_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    conversation: str
    message_sent: _messaging_pb2.Message
    message_edited: _messaging_pb2.Message
    message_deleted: _messaging_pb2.Message
    read_receipt: _messaging_pb2.ReadReceipt
    typing_indicator: _messaging_pb2.TypingIndicator
    unread_count: int
    total_unread_count: int
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, cursor: _Optional[str] = ..., conversation: _Optional[str] = ..., message_sent: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ..., message_edited: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ..., message_deleted: _Optional[_Union[_messaging_pb2.Message, _Mapping]] = ..., read_receipt: _Optional[_Union[_messaging_pb2.ReadReceipt, _Mapping]] = ..., typing_indicator: _Optional[_Union[_messaging_pb2.TypingIndicator, _Mapping]] = ..., unread_count: _Optional[int] = ..., total_unread_count: _Optional[int] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SearchMessagesRequest(_message.Message):
    __slots__ = ("parent", "query", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    query: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., query: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_page_token")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_messaging_pb2.Message]
    next_page_token: str
    def __init__(self, messages: _Optional[_Iterable[_Union[_messaging_pb2.Message, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateBlockRequest(_message.Message):
    __slots__ = ("parent", "block")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    parent: str
    block: _messaging_pb2.Block
    def __init__(self, parent: _Optional[str] = ..., block: _Optional[_Union[_messaging_pb2.Block, _Mapping]] = ...) -> None: ...

class CreateBlockResponse(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: _messaging_pb2.Block
    def __init__(self, block: _Optional[_Union[_messaging_pb2.Block, _Mapping]] = ...) -> None: ...

class ListBlocksRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBlocksResponse(_message.Message):
    __slots__ = ("blocks", "next_page_token")
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    blocks: _containers.RepeatedCompositeFieldContainer[_messaging_pb2.Block]
    next_page_token: str
    def __init__(self, blocks: _Optional[_Iterable[_Union[_messaging_pb2.Block, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteBlockRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteBlockResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateReportRequest(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: _messaging_pb2.Report
    def __init__(self, report: _Optional[_Union[_messaging_pb2.Report, _Mapping]] = ...) -> None: ...

class CreateReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: _messaging_pb2.Report
    def __init__(self, report: _Optional[_Union[_messaging_pb2.Report, _Mapping]] = ...) -> None: ...
