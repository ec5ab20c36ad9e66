import datetime

from estospaces.property.v1 import property_pb2 as _property_pb2
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

class Project(_message.Message):
    __slots__ = ("name", "developer", "display_name", "description", "address", "city", "country_code", "currency_code", "stage", "expected_completion_date", "progress_percent", "unit_count", "available_unit_count", "create_time", "update_time", "etag")
    class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STAGE_UNSPECIFIED: _ClassVar[Project.Stage]
        STAGE_PLANNED: _ClassVar[Project.Stage]
        STAGE_UNDER_CONSTRUCTION: _ClassVar[Project.Stage]
        STAGE_COMPLETED: _ClassVar[Project.Stage]
    STAGE_UNSPECIFIED: Project.Stage
    STAGE_PLANNED: Project.Stage
    STAGE_UNDER_CONSTRUCTION: Project.Stage
    STAGE_COMPLETED: Project.Stage
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_COMPLETION_DATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_PERCENT_FIELD_NUMBER: _ClassVar[int]
    UNIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_UNIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    developer: str
    display_name: str
    description: str
    address: str
    city: str
    country_code: str
    currency_code: str
    stage: Project.Stage
    expected_completion_date: _property_pb2.Date
    progress_percent: int
    unit_count: int
    available_unit_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., developer: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., address: _Optional[str] = ..., city: _Optional[str] = ..., country_code: _Optional[str] = ..., currency_code: _Optional[str] = ..., stage: _Optional[_Union[Project.Stage, str]] = ..., expected_completion_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., progress_percent: _Optional[int] = ..., unit_count: _Optional[int] = ..., available_unit_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Unit(_message.Message):
    __slots__ = ("name", "display_name", "unit_type", "floor", "area_square_meters", "bedrooms", "bathrooms", "price", "deposit_amount", "currency_code", "state", "reservation", "create_time", "update_time", "etag", "listing")
    class UnitType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNIT_TYPE_UNSPECIFIED: _ClassVar[Unit.UnitType]
        UNIT_TYPE_APARTMENT: _ClassVar[Unit.UnitType]
        UNIT_TYPE_STUDIO: _ClassVar[Unit.UnitType]
        UNIT_TYPE_PENTHOUSE: _ClassVar[Unit.UnitType]
        UNIT_TYPE_TOWNHOUSE: _ClassVar[Unit.UnitType]
        UNIT_TYPE_VILLA: _ClassVar[Unit.UnitType]
        UNIT_TYPE_COMMERCIAL: _ClassVar[Unit.UnitType]
        UNIT_TYPE_PARKING: _ClassVar[Unit.UnitType]
    UNIT_TYPE_UNSPECIFIED: Unit.UnitType
    UNIT_TYPE_APARTMENT: Unit.UnitType
    UNIT_TYPE_STUDIO: Unit.UnitType
    UNIT_TYPE_PENTHOUSE: Unit.UnitType
    UNIT_TYPE_TOWNHOUSE: Unit.UnitType
    UNIT_TYPE_VILLA: Unit.UnitType
    UNIT_TYPE_COMMERCIAL: Unit.UnitType
    UNIT_TYPE_PARKING: Unit.UnitType
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Unit.State]
        STATE_AVAILABLE: _ClassVar[Unit.State]
        STATE_RESERVED: _ClassVar[Unit.State]
        STATE_SOLD: _ClassVar[Unit.State]
    STATE_UNSPECIFIED: Unit.State
    STATE_AVAILABLE: Unit.State
    STATE_RESERVED: Unit.State
    STATE_SOLD: Unit.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    AREA_SQUARE_METERS_FIELD_NUMBER: _ClassVar[int]
    BEDROOMS_FIELD_NUMBER: _ClassVar[int]
    BATHROOMS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    unit_type: Unit.UnitType
    floor: int
    area_square_meters: float
    bedrooms: int
    bathrooms: int
    price: int
    deposit_amount: int
    currency_code: str
    state: Unit.State
    reservation: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    listing: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., unit_type: _Optional[_Union[Unit.UnitType, str]] = ..., floor: _Optional[int] = ..., area_square_meters: _Optional[float] = ..., bedrooms: _Optional[int] = ..., bathrooms: _Optional[int] = ..., price: _Optional[int] = ..., deposit_amount: _Optional[int] = ..., currency_code: _Optional[str] = ..., state: _Optional[_Union[Unit.State, str]] = ..., reservation: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., listing: _Optional[str] = ...) -> None: ...

class Milestone(_message.Message):
    __slots__ = ("name", "display_name", "description", "planned_date", "complete_time", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PLANNED_DATE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    description: str
    planned_date: _property_pb2.Date
    complete_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., planned_date: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProgressUpdate(_message.Message):
    __slots__ = ("name", "text", "progress_percent", "media", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    text: str
    progress_percent: int
    media: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., text: _Optional[str] = ..., progress_percent: _Optional[int] = ..., media: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProjectDocument(_message.Message):
    __slots__ = ("name", "kind", "title", "media", "unit", "create_time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[ProjectDocument.Kind]
        KIND_BROCHURE: _ClassVar[ProjectDocument.Kind]
        KIND_FLOOR_PLAN: _ClassVar[ProjectDocument.Kind]
        KIND_SPECIFICATION: _ClassVar[ProjectDocument.Kind]
        KIND_PERMIT: _ClassVar[ProjectDocument.Kind]
        KIND_OTHER: _ClassVar[ProjectDocument.Kind]
    KIND_UNSPECIFIED: ProjectDocument.Kind
    KIND_BROCHURE: ProjectDocument.Kind
    KIND_FLOOR_PLAN: ProjectDocument.Kind
    KIND_SPECIFICATION: ProjectDocument.Kind
    KIND_PERMIT: ProjectDocument.Kind
    KIND_OTHER: ProjectDocument.Kind
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: ProjectDocument.Kind
    title: str
    media: str
    unit: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[ProjectDocument.Kind, str]] = ..., title: _Optional[str] = ..., media: _Optional[str] = ..., unit: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("name", "unit", "buyer", "deposit_amount", "currency_code", "state", "release_reason", "failure_code", "expire_time", "create_time", "update_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Reservation.State]
        STATE_PENDING_PAYMENT: _ClassVar[Reservation.State]
        STATE_RESERVED: _ClassVar[Reservation.State]
        STATE_COMPLETED: _ClassVar[Reservation.State]
        STATE_RELEASED: _ClassVar[Reservation.State]
    STATE_UNSPECIFIED: Reservation.State
    STATE_PENDING_PAYMENT: Reservation.State
    STATE_RESERVED: Reservation.State
    STATE_COMPLETED: Reservation.State
    STATE_RELEASED: Reservation.State
    class ReleaseReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        RELEASE_REASON_UNSPECIFIED: _ClassVar[Reservation.ReleaseReason]
        RELEASE_REASON_PAYMENT_FAILED: _ClassVar[Reservation.ReleaseReason]
        RELEASE_REASON_EXPIRED: _ClassVar[Reservation.ReleaseReason]
        RELEASE_REASON_CANCELLED_BY_BUYER: _ClassVar[Reservation.ReleaseReason]
        RELEASE_REASON_CANCELLED_BY_DEVELOPER: _ClassVar[Reservation.ReleaseReason]
    RELEASE_REASON_UNSPECIFIED: Reservation.ReleaseReason
    RELEASE_REASON_PAYMENT_FAILED: Reservation.ReleaseReason
    RELEASE_REASON_EXPIRED: Reservation.ReleaseReason
    RELEASE_REASON_CANCELLED_BY_BUYER: Reservation.ReleaseReason
    RELEASE_REASON_CANCELLED_BY_DEVELOPER: Reservation.ReleaseReason
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    BUYER_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_REASON_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    unit: str
    buyer: str
    deposit_amount: int
    currency_code: str
    state: Reservation.State
    release_reason: Reservation.ReleaseReason
    failure_code: str
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., unit: _Optional[str] = ..., buyer: _Optional[str] = ..., deposit_amount: _Optional[int] = ..., currency_code: _Optional[str] = ..., state: _Optional[_Union[Reservation.State, str]] = ..., release_reason: _Optional[_Union[Reservation.ReleaseReason, str]] = ..., failure_code: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
