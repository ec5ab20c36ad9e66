from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_REASON_UNSPECIFIED: _ClassVar[AlertReason]
    ALERT_REASON_NEW_LISTING: _ClassVar[AlertReason]
    ALERT_REASON_PRICE_DROP: _ClassVar[AlertReason]
    ALERT_REASON_DATES_OPENED: _ClassVar[AlertReason]
ALERT_REASON_UNSPECIFIED: AlertReason
ALERT_REASON_NEW_LISTING: AlertReason
ALERT_REASON_PRICE_DROP: AlertReason
ALERT_REASON_DATES_OPENED: AlertReason

class AlertMatched(_message.Message):
    __slots__ = ("user", "saved_search", "property", "reason", "title", "price", "currency_code")
    USER_FIELD_NUMBER: _ClassVar[int]
    SAVED_SEARCH_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    user: str
    saved_search: str
    property: str
    reason: AlertReason
    title: str
    price: int
    currency_code: str
    def __init__(self, user: _Optional[str] = ..., saved_search: _Optional[str] = ..., property: _Optional[str] = ..., reason: _Optional[_Union[AlertReason, str]] = ..., title: _Optional[str] = ..., price: _Optional[int] = ..., currency_code: _Optional[str] = ...) -> None: ...
