import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Wishlist(_message.Message):
    __slots__ = ("name", "title", "listings", "shared", "share_token", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    SHARE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    listings: _containers.RepeatedCompositeFieldContainer[SavedListing]
    shared: bool
    share_token: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., listings: _Optional[_Iterable[_Union[SavedListing, _Mapping]]] = ..., shared: _Optional[bool] = ..., share_token: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SavedListing(_message.Message):
    __slots__ = ("listing", "save_time")
    LISTING_FIELD_NUMBER: _ClassVar[int]
    SAVE_TIME_FIELD_NUMBER: _ClassVar[int]
    listing: str
    save_time: _timestamp_pb2.Timestamp
    def __init__(self, listing: _Optional[str] = ..., save_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Comparison(_message.Message):
    __slots__ = ("name", "title", "listings", "check_in", "check_out", "shared", "share_token", "create_time", "update_time", "guests")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    SHARE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    listings: _containers.RepeatedScalarFieldContainer[str]
    check_in: str
    check_out: str
    shared: bool
    share_token: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    guests: int
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., listings: _Optional[_Iterable[str]] = ..., check_in: _Optional[str] = ..., check_out: _Optional[str] = ..., shared: _Optional[bool] = ..., share_token: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., guests: _Optional[int] = ...) -> None: ...

class ComparedListing(_message.Message):
    __slots__ = ("listing", "available", "title", "kind", "price", "price_basis", "currency_code", "bedrooms", "bathrooms", "max_guests", "floor_area_square_meters", "amenities", "average_rating", "review_count", "price_note")
    LISTING_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_BASIS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    BEDROOMS_FIELD_NUMBER: _ClassVar[int]
    BATHROOMS_FIELD_NUMBER: _ClassVar[int]
    MAX_GUESTS_FIELD_NUMBER: _ClassVar[int]
    FLOOR_AREA_SQUARE_METERS_FIELD_NUMBER: _ClassVar[int]
    AMENITIES_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RATING_FIELD_NUMBER: _ClassVar[int]
    REVIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    PRICE_NOTE_FIELD_NUMBER: _ClassVar[int]
    listing: str
    available: bool
    title: str
    kind: str
    price: int
    price_basis: str
    currency_code: str
    bedrooms: int
    bathrooms: int
    max_guests: int
    floor_area_square_meters: int
    amenities: _containers.RepeatedScalarFieldContainer[str]
    average_rating: float
    review_count: int
    price_note: str
    def __init__(self, listing: _Optional[str] = ..., available: _Optional[bool] = ..., title: _Optional[str] = ..., kind: _Optional[str] = ..., price: _Optional[int] = ..., price_basis: _Optional[str] = ..., currency_code: _Optional[str] = ..., bedrooms: _Optional[int] = ..., bathrooms: _Optional[int] = ..., max_guests: _Optional[int] = ..., floor_area_square_meters: _Optional[int] = ..., amenities: _Optional[_Iterable[str]] = ..., average_rating: _Optional[float] = ..., review_count: _Optional[int] = ..., price_note: _Optional[str] = ...) -> None: ...
