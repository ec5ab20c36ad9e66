import datetime

from estospaces.property.v1 import property_pb2 as _property_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BookingFacts(_message.Message):
    __slots__ = ("booking", "property", "guest", "host", "check_in", "check_out", "total_amount", "currency_code", "platform_fee")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    GUEST_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FEE_FIELD_NUMBER: _ClassVar[int]
    booking: str
    property: str
    guest: str
    host: str
    check_in: _property_pb2.Date
    check_out: _property_pb2.Date
    total_amount: int
    currency_code: str
    platform_fee: int
    def __init__(self, booking: _Optional[str] = ..., property: _Optional[str] = ..., guest: _Optional[str] = ..., host: _Optional[str] = ..., check_in: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., total_amount: _Optional[int] = ..., currency_code: _Optional[str] = ..., platform_fee: _Optional[int] = ...) -> None: ...

class BookingRequested(_message.Message):
    __slots__ = ("booking", "payment_method", "instant_book", "hold_expire_time")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    INSTANT_BOOK_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    payment_method: str
    instant_book: bool
    hold_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ..., payment_method: _Optional[str] = ..., instant_book: _Optional[bool] = ..., hold_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BookingConfirmed(_message.Message):
    __slots__ = ("booking", "capture_now")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_NOW_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    capture_now: bool
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ..., capture_now: _Optional[bool] = ...) -> None: ...

class BookingDeclined(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ...) -> None: ...

class BookingExpired(_message.Message):
    __slots__ = ("booking", "reason")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    reason: str
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class BookingPaymentFailed(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ...) -> None: ...

class BookingCancelled(_message.Message):
    __slots__ = ("booking", "cancelled_by", "refund_amount", "refund_explanation")
    class CancelledBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CANCELLED_BY_UNSPECIFIED: _ClassVar[BookingCancelled.CancelledBy]
        CANCELLED_BY_GUEST: _ClassVar[BookingCancelled.CancelledBy]
        CANCELLED_BY_HOST: _ClassVar[BookingCancelled.CancelledBy]
    CANCELLED_BY_UNSPECIFIED: BookingCancelled.CancelledBy
    CANCELLED_BY_GUEST: BookingCancelled.CancelledBy
    CANCELLED_BY_HOST: BookingCancelled.CancelledBy
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_FIELD_NUMBER: _ClassVar[int]
    REFUND_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    cancelled_by: BookingCancelled.CancelledBy
    refund_amount: int
    refund_explanation: str
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ..., cancelled_by: _Optional[_Union[BookingCancelled.CancelledBy, str]] = ..., refund_amount: _Optional[int] = ..., refund_explanation: _Optional[str] = ...) -> None: ...

class BookingCheckedIn(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ...) -> None: ...

class BookingCompleted(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: BookingFacts
    def __init__(self, booking: _Optional[_Union[BookingFacts, _Mapping]] = ...) -> None: ...
