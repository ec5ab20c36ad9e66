import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Payment(_message.Message):
    __slots__ = ("name", "booking", "payer", "host", "state", "currency_code", "amount", "platform_fee", "captured_amount", "refunded_amount", "payment_method_hint", "provider", "provider_payment_id", "failure_code", "failure_message", "create_time", "update_time", "reservation")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Payment.State]
        STATE_AUTHORIZED: _ClassVar[Payment.State]
        STATE_FAILED: _ClassVar[Payment.State]
        STATE_VOIDED: _ClassVar[Payment.State]
        STATE_CAPTURED: _ClassVar[Payment.State]
        STATE_PARTIALLY_REFUNDED: _ClassVar[Payment.State]
        STATE_REFUNDED: _ClassVar[Payment.State]
    STATE_UNSPECIFIED: Payment.State
    STATE_AUTHORIZED: Payment.State
    STATE_FAILED: Payment.State
    STATE_VOIDED: Payment.State
    STATE_CAPTURED: Payment.State
    STATE_PARTIALLY_REFUNDED: Payment.State
    STATE_REFUNDED: Payment.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    PAYER_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FEE_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_HINT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    booking: str
    payer: str
    host: str
    state: Payment.State
    currency_code: str
    amount: int
    platform_fee: int
    captured_amount: int
    refunded_amount: int
    payment_method_hint: str
    provider: str
    provider_payment_id: str
    failure_code: str
    failure_message: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    reservation: str
    def __init__(self, name: _Optional[str] = ..., booking: _Optional[str] = ..., payer: _Optional[str] = ..., host: _Optional[str] = ..., state: _Optional[_Union[Payment.State, str]] = ..., currency_code: _Optional[str] = ..., amount: _Optional[int] = ..., platform_fee: _Optional[int] = ..., captured_amount: _Optional[int] = ..., refunded_amount: _Optional[int] = ..., payment_method_hint: _Optional[str] = ..., provider: _Optional[str] = ..., provider_payment_id: _Optional[str] = ..., failure_code: _Optional[str] = ..., failure_message: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reservation: _Optional[str] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("transaction_id", "kind", "account", "currency_code", "amount", "payment", "create_time")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    kind: str
    account: str
    currency_code: str
    amount: int
    payment: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, transaction_id: _Optional[str] = ..., kind: _Optional[str] = ..., account: _Optional[str] = ..., currency_code: _Optional[str] = ..., amount: _Optional[int] = ..., payment: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LedgerBalance(_message.Message):
    __slots__ = ("account", "currency_code", "balance")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    account: str
    currency_code: str
    balance: int
    def __init__(self, account: _Optional[str] = ..., currency_code: _Optional[str] = ..., balance: _Optional[int] = ...) -> None: ...

class Payout(_message.Message):
    __slots__ = ("name", "host", "payment", "booking", "state", "currency_code", "amount", "scheduled_time", "complete_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Payout.State]
        STATE_SCHEDULED: _ClassVar[Payout.State]
        STATE_PAID: _ClassVar[Payout.State]
        STATE_CANCELLED: _ClassVar[Payout.State]
    STATE_UNSPECIFIED: Payout.State
    STATE_SCHEDULED: Payout.State
    STATE_PAID: Payout.State
    STATE_CANCELLED: Payout.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    host: str
    payment: str
    booking: str
    state: Payout.State
    currency_code: str
    amount: int
    scheduled_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., host: _Optional[str] = ..., payment: _Optional[str] = ..., booking: _Optional[str] = ..., state: _Optional[_Union[Payout.State, str]] = ..., currency_code: _Optional[str] = ..., amount: _Optional[int] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
