import datetime

from estospaces.property.v1 import property_pb2 as _property_pb2
from estospaces.property.v1 import property_service_pb2 as _property_service_pb2
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

class Booking(_message.Message):
    __slots__ = ("name", "property", "guest", "host", "check_in", "check_out", "guests", "state", "booking_mode", "total_amount", "currency_code", "platform_fee", "quote_lines", "cancellation_policy", "refund_schedule", "hold_expire_time", "payment_status", "payment", "refund", "end_reason", "create_time", "update_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Booking.State]
        STATE_PENDING_PAYMENT: _ClassVar[Booking.State]
        STATE_AWAITING_HOST: _ClassVar[Booking.State]
        STATE_CONFIRMED: _ClassVar[Booking.State]
        STATE_CHECKED_IN: _ClassVar[Booking.State]
        STATE_COMPLETED: _ClassVar[Booking.State]
        STATE_DECLINED: _ClassVar[Booking.State]
        STATE_EXPIRED: _ClassVar[Booking.State]
        STATE_CANCELLED_BY_GUEST: _ClassVar[Booking.State]
        STATE_CANCELLED_BY_HOST: _ClassVar[Booking.State]
        STATE_PAYMENT_FAILED: _ClassVar[Booking.State]
    STATE_UNSPECIFIED: Booking.State
    STATE_PENDING_PAYMENT: Booking.State
    STATE_AWAITING_HOST: Booking.State
    STATE_CONFIRMED: Booking.State
    STATE_CHECKED_IN: Booking.State
    STATE_COMPLETED: Booking.State
    STATE_DECLINED: Booking.State
    STATE_EXPIRED: Booking.State
    STATE_CANCELLED_BY_GUEST: Booking.State
    STATE_CANCELLED_BY_HOST: Booking.State
    STATE_PAYMENT_FAILED: Booking.State
    class PaymentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PAYMENT_STATUS_UNSPECIFIED: _ClassVar[Booking.PaymentStatus]
        PAYMENT_STATUS_PENDING: _ClassVar[Booking.PaymentStatus]
        PAYMENT_STATUS_AUTHORIZED: _ClassVar[Booking.PaymentStatus]
        PAYMENT_STATUS_CAPTURED: _ClassVar[Booking.PaymentStatus]
        PAYMENT_STATUS_VOIDED: _ClassVar[Booking.PaymentStatus]
        PAYMENT_STATUS_REFUNDED: _ClassVar[Booking.PaymentStatus]
        PAYMENT_STATUS_FAILED: _ClassVar[Booking.PaymentStatus]
    PAYMENT_STATUS_UNSPECIFIED: Booking.PaymentStatus
    PAYMENT_STATUS_PENDING: Booking.PaymentStatus
    PAYMENT_STATUS_AUTHORIZED: Booking.PaymentStatus
    PAYMENT_STATUS_CAPTURED: Booking.PaymentStatus
    PAYMENT_STATUS_VOIDED: Booking.PaymentStatus
    PAYMENT_STATUS_REFUNDED: Booking.PaymentStatus
    PAYMENT_STATUS_FAILED: Booking.PaymentStatus
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    GUEST_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_MODE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FEE_FIELD_NUMBER: _ClassVar[int]
    QUOTE_LINES_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_POLICY_FIELD_NUMBER: _ClassVar[int]
    REFUND_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    REFUND_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    property: str
    guest: str
    host: str
    check_in: _property_pb2.Date
    check_out: _property_pb2.Date
    guests: int
    state: Booking.State
    booking_mode: _property_pb2.BookingMode
    total_amount: int
    currency_code: str
    platform_fee: int
    quote_lines: _containers.RepeatedCompositeFieldContainer[_property_service_pb2.QuoteLine]
    cancellation_policy: _property_pb2.CancellationPolicy
    refund_schedule: _containers.RepeatedCompositeFieldContainer[_property_pb2.RefundRule]
    hold_expire_time: _timestamp_pb2.Timestamp
    payment_status: Booking.PaymentStatus
    payment: str
    refund: Refund
    end_reason: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., property: _Optional[str] = ..., guest: _Optional[str] = ..., host: _Optional[str] = ..., check_in: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., guests: _Optional[int] = ..., state: _Optional[_Union[Booking.State, str]] = ..., booking_mode: _Optional[_Union[_property_pb2.BookingMode, str]] = ..., total_amount: _Optional[int] = ..., currency_code: _Optional[str] = ..., platform_fee: _Optional[int] = ..., quote_lines: _Optional[_Iterable[_Union[_property_service_pb2.QuoteLine, _Mapping]]] = ..., cancellation_policy: _Optional[_Union[_property_pb2.CancellationPolicy, str]] = ..., refund_schedule: _Optional[_Iterable[_Union[_property_pb2.RefundRule, _Mapping]]] = ..., hold_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payment_status: _Optional[_Union[Booking.PaymentStatus, str]] = ..., payment: _Optional[str] = ..., refund: _Optional[_Union[Refund, _Mapping]] = ..., end_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Refund(_message.Message):
    __slots__ = ("amount", "refund_basis_points", "days_before_check_in", "explanation")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    DAYS_BEFORE_CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    amount: int
    refund_basis_points: int
    days_before_check_in: int
    explanation: str
    def __init__(self, amount: _Optional[int] = ..., refund_basis_points: _Optional[int] = ..., days_before_check_in: _Optional[int] = ..., explanation: _Optional[str] = ...) -> None: ...

class BookingSaga(_message.Message):
    __slots__ = ("name", "state", "booking_state", "payment_status", "steps")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[BookingSaga.State]
        STATE_RUNNING: _ClassVar[BookingSaga.State]
        STATE_SUCCEEDED: _ClassVar[BookingSaga.State]
        STATE_COMPENSATED: _ClassVar[BookingSaga.State]
    STATE_UNSPECIFIED: BookingSaga.State
    STATE_RUNNING: BookingSaga.State
    STATE_SUCCEEDED: BookingSaga.State
    STATE_COMPENSATED: BookingSaga.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_STATE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: BookingSaga.State
    booking_state: Booking.State
    payment_status: Booking.PaymentStatus
    steps: _containers.RepeatedCompositeFieldContainer[SagaStep]
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[BookingSaga.State, str]] = ..., booking_state: _Optional[_Union[Booking.State, str]] = ..., payment_status: _Optional[_Union[Booking.PaymentStatus, str]] = ..., steps: _Optional[_Iterable[_Union[SagaStep, _Mapping]]] = ...) -> None: ...

class SagaStep(_message.Message):
    __slots__ = ("step", "time", "event_id", "detail")
    STEP_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    step: str
    time: _timestamp_pb2.Timestamp
    event_id: str
    detail: str
    def __init__(self, step: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...
