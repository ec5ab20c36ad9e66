from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.property.v1 import property_pb2 as _property_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPropertyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListPropertiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "kind", "state", "owner", "country_code")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    kind: _property_pb2.ListingKind
    state: _property_pb2.Property.State
    owner: str
    country_code: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[_property_pb2.ListingKind, str]] = ..., state: _Optional[_Union[_property_pb2.Property.State, str]] = ..., owner: _Optional[str] = ..., country_code: _Optional[str] = ...) -> None: ...

class ListPropertiesResponse(_message.Message):
    __slots__ = ("properties", "next_page_token")
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    properties: _containers.RepeatedCompositeFieldContainer[_property_pb2.Property]
    next_page_token: str
    def __init__(self, properties: _Optional[_Iterable[_Union[_property_pb2.Property, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreatePropertyRequest(_message.Message):
    __slots__ = ("property", "request_id")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    request_id: str
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdatePropertyRequest(_message.Message):
    __slots__ = ("property", "update_mask")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class PublishPropertyRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class PausePropertyRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ArchivePropertyRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class MarkPropertySoldRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class MarkPropertyRentedRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class QuotePriceRequest(_message.Message):
    __slots__ = ("property", "check_in", "check_out", "guests")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    property: str
    check_in: _property_pb2.Date
    check_out: _property_pb2.Date
    guests: int
    def __init__(self, property: _Optional[str] = ..., check_in: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., guests: _Optional[int] = ...) -> None: ...

class QuotePriceResponse(_message.Message):
    __slots__ = ("lines", "nights_subtotal", "total", "currency_code")
    LINES_FIELD_NUMBER: _ClassVar[int]
    NIGHTS_SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[QuoteLine]
    nights_subtotal: int
    total: int
    currency_code: str
    def __init__(self, lines: _Optional[_Iterable[_Union[QuoteLine, _Mapping]]] = ..., nights_subtotal: _Optional[int] = ..., total: _Optional[int] = ..., currency_code: _Optional[str] = ...) -> None: ...

class QuoteLine(_message.Message):
    __slots__ = ("kind", "date", "amount", "description")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[QuoteLine.Kind]
        KIND_NIGHT: _ClassVar[QuoteLine.Kind]
        KIND_DISCOUNT: _ClassVar[QuoteLine.Kind]
        KIND_CLEANING_FEE: _ClassVar[QuoteLine.Kind]
        KIND_EXTRA_GUEST_FEE: _ClassVar[QuoteLine.Kind]
        KIND_TAX: _ClassVar[QuoteLine.Kind]
    KIND_UNSPECIFIED: QuoteLine.Kind
    KIND_NIGHT: QuoteLine.Kind
    KIND_DISCOUNT: QuoteLine.Kind
    KIND_CLEANING_FEE: QuoteLine.Kind
    KIND_EXTRA_GUEST_FEE: QuoteLine.Kind
    KIND_TAX: QuoteLine.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    kind: QuoteLine.Kind
    date: _property_pb2.Date
    amount: int
    description: str
    def __init__(self, kind: _Optional[_Union[QuoteLine.Kind, str]] = ..., date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., amount: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("property", "start_date", "end_date")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    property: str
    start_date: _property_pb2.Date
    end_date: _property_pb2.Date
    def __init__(self, property: _Optional[str] = ..., start_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("days", "currency_code")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedCompositeFieldContainer[_property_pb2.CalendarDay]
    currency_code: str
    def __init__(self, days: _Optional[_Iterable[_Union[_property_pb2.CalendarDay, _Mapping]]] = ..., currency_code: _Optional[str] = ...) -> None: ...

class BlockDatesRequest(_message.Message):
    __slots__ = ("property", "start_date", "end_date")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    property: str
    start_date: _property_pb2.Date
    end_date: _property_pb2.Date
    def __init__(self, property: _Optional[str] = ..., start_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ...) -> None: ...

class BlockDatesResponse(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedCompositeFieldContainer[_property_pb2.CalendarDay]
    def __init__(self, days: _Optional[_Iterable[_Union[_property_pb2.CalendarDay, _Mapping]]] = ...) -> None: ...

class UnblockDatesRequest(_message.Message):
    __slots__ = ("property", "start_date", "end_date")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    property: str
    start_date: _property_pb2.Date
    end_date: _property_pb2.Date
    def __init__(self, property: _Optional[str] = ..., start_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ...) -> None: ...

class UnblockDatesResponse(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedCompositeFieldContainer[_property_pb2.CalendarDay]
    def __init__(self, days: _Optional[_Iterable[_Union[_property_pb2.CalendarDay, _Mapping]]] = ...) -> None: ...

class GetPropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class CreatePropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class UpdatePropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class PublishPropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class PausePropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class ArchivePropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class MarkPropertySoldResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class MarkPropertyRentedResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class ApprovePropertyRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ApprovePropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class RejectPropertyRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectPropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class TakeDownPropertyRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TakeDownPropertyResponse(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...
