from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PaymentFacts(_message.Message):
    __slots__ = ("payment", "booking", "payer", "amount", "currency_code", "reservation")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    PAYER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    payment: str
    booking: str
    payer: str
    amount: int
    currency_code: str
    reservation: str
    def __init__(self, payment: _Optional[str] = ..., booking: _Optional[str] = ..., payer: _Optional[str] = ..., amount: _Optional[int] = ..., currency_code: _Optional[str] = ..., reservation: _Optional[str] = ...) -> None: ...

class PaymentAuthorized(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: PaymentFacts
    def __init__(self, payment: _Optional[_Union[PaymentFacts, _Mapping]] = ...) -> None: ...

class PaymentFailed(_message.Message):
    __slots__ = ("payment", "failure_code", "failure_message")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    payment: PaymentFacts
    failure_code: str
    failure_message: str
    def __init__(self, payment: _Optional[_Union[PaymentFacts, _Mapping]] = ..., failure_code: _Optional[str] = ..., failure_message: _Optional[str] = ...) -> None: ...

class PaymentCaptured(_message.Message):
    __slots__ = ("payment", "captured_amount")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    payment: PaymentFacts
    captured_amount: int
    def __init__(self, payment: _Optional[_Union[PaymentFacts, _Mapping]] = ..., captured_amount: _Optional[int] = ...) -> None: ...

class PaymentVoided(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: PaymentFacts
    def __init__(self, payment: _Optional[_Union[PaymentFacts, _Mapping]] = ...) -> None: ...

class PaymentRefunded(_message.Message):
    __slots__ = ("payment", "refunded_amount", "total_refunded_amount")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REFUNDED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    payment: PaymentFacts
    refunded_amount: int
    total_refunded_amount: int
    def __init__(self, payment: _Optional[_Union[PaymentFacts, _Mapping]] = ..., refunded_amount: _Optional[int] = ..., total_refunded_amount: _Optional[int] = ...) -> None: ...

class PayoutPaid(_message.Message):
    __slots__ = ("payout", "booking", "host", "amount", "currency_code")
    PAYOUT_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    payout: str
    booking: str
    host: str
    amount: int
    currency_code: str
    def __init__(self, payout: _Optional[str] = ..., booking: _Optional[str] = ..., host: _Optional[str] = ..., amount: _Optional[int] = ..., currency_code: _Optional[str] = ...) -> None: ...
