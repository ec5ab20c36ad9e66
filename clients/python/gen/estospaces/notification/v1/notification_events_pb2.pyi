import datetime

from estospaces.notification.v1 import notification_service_pb2 as _notification_service_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliveryKeyPublished(_message.Message):
    __slots__ = ("key_id", "public_key", "create_time")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    public_key: bytes
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., public_key: _Optional[bytes] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeliveryDeadLettered(_message.Message):
    __slots__ = ("delivery", "channel", "template", "error")
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    delivery: str
    channel: _notification_service_pb2.Channel
    template: str
    error: str
    def __init__(self, delivery: _Optional[str] = ..., channel: _Optional[_Union[_notification_service_pb2.Channel, str]] = ..., template: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
