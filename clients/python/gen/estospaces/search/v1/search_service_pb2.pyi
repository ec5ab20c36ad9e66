import datetime

from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.property.v1 import property_pb2 as _property_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
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

class SortOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SORT_ORDER_UNSPECIFIED: _ClassVar[SortOrder]
    SORT_ORDER_RELEVANCE: _ClassVar[SortOrder]
    SORT_ORDER_PRICE_ASCENDING: _ClassVar[SortOrder]
    SORT_ORDER_PRICE_DESCENDING: _ClassVar[SortOrder]
    SORT_ORDER_DISTANCE: _ClassVar[SortOrder]
    SORT_ORDER_NEWEST: _ClassVar[SortOrder]
    SORT_ORDER_RATING: _ClassVar[SortOrder]
SORT_ORDER_UNSPECIFIED: SortOrder
SORT_ORDER_RELEVANCE: SortOrder
SORT_ORDER_PRICE_ASCENDING: SortOrder
SORT_ORDER_PRICE_DESCENDING: SortOrder
SORT_ORDER_DISTANCE: SortOrder
SORT_ORDER_NEWEST: SortOrder
SORT_ORDER_RATING: SortOrder

class PropertyQuery(_message.Message):
    __slots__ = ("text", "kind", "property_types", "min_price", "max_price", "min_bedrooms", "min_bathrooms", "guests", "amenities", "instant_book", "circle", "box", "check_in", "check_out", "min_rating", "project")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_TYPES_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_BEDROOMS_FIELD_NUMBER: _ClassVar[int]
    MIN_BATHROOMS_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    AMENITIES_FIELD_NUMBER: _ClassVar[int]
    INSTANT_BOOK_FIELD_NUMBER: _ClassVar[int]
    CIRCLE_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    MIN_RATING_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    text: str
    kind: _property_pb2.ListingKind
    property_types: _containers.RepeatedScalarFieldContainer[_property_pb2.PropertyType]
    min_price: int
    max_price: int
    min_bedrooms: int
    min_bathrooms: int
    guests: int
    amenities: _containers.RepeatedScalarFieldContainer[_property_pb2.Amenity]
    instant_book: bool
    circle: GeoCircle
    box: GeoBox
    check_in: _property_pb2.Date
    check_out: _property_pb2.Date
    min_rating: float
    project: str
    def __init__(self, text: _Optional[str] = ..., kind: _Optional[_Union[_property_pb2.ListingKind, str]] = ..., property_types: _Optional[_Iterable[_Union[_property_pb2.PropertyType, str]]] = ..., min_price: _Optional[int] = ..., max_price: _Optional[int] = ..., min_bedrooms: _Optional[int] = ..., min_bathrooms: _Optional[int] = ..., guests: _Optional[int] = ..., amenities: _Optional[_Iterable[_Union[_property_pb2.Amenity, str]]] = ..., instant_book: _Optional[bool] = ..., circle: _Optional[_Union[GeoCircle, _Mapping]] = ..., box: _Optional[_Union[GeoBox, _Mapping]] = ..., check_in: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_property_pb2.Date, _Mapping]] = ..., min_rating: _Optional[float] = ..., project: _Optional[str] = ...) -> None: ...

class GeoCircle(_message.Message):
    __slots__ = ("center", "radius_meters")
    CENTER_FIELD_NUMBER: _ClassVar[int]
    RADIUS_METERS_FIELD_NUMBER: _ClassVar[int]
    center: _property_pb2.GeoPoint
    radius_meters: float
    def __init__(self, center: _Optional[_Union[_property_pb2.GeoPoint, _Mapping]] = ..., radius_meters: _Optional[float] = ...) -> None: ...

class GeoBox(_message.Message):
    __slots__ = ("low", "high")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    low: _property_pb2.GeoPoint
    high: _property_pb2.GeoPoint
    def __init__(self, low: _Optional[_Union[_property_pb2.GeoPoint, _Mapping]] = ..., high: _Optional[_Union[_property_pb2.GeoPoint, _Mapping]] = ...) -> None: ...

class SearchPropertiesRequest(_message.Message):
    __slots__ = ("query", "order_by", "page_size", "page_token", "price_histogram_interval")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_HISTOGRAM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    query: PropertyQuery
    order_by: SortOrder
    page_size: int
    page_token: str
    price_histogram_interval: int
    def __init__(self, query: _Optional[_Union[PropertyQuery, _Mapping]] = ..., order_by: _Optional[_Union[SortOrder, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., price_histogram_interval: _Optional[int] = ...) -> None: ...

class SearchResult(_message.Message):
    __slots__ = ("property", "relevance", "distance_meters", "stay_total", "stay_nights_subtotal", "cover_photo_uri")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    STAY_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STAY_NIGHTS_SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    COVER_PHOTO_URI_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    relevance: float
    distance_meters: float
    stay_total: int
    stay_nights_subtotal: int
    cover_photo_uri: str
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ..., relevance: _Optional[float] = ..., distance_meters: _Optional[float] = ..., stay_total: _Optional[int] = ..., stay_nights_subtotal: _Optional[int] = ..., cover_photo_uri: _Optional[str] = ...) -> None: ...

class FacetCount(_message.Message):
    __slots__ = ("value", "count")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    value: str
    count: int
    def __init__(self, value: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class Facets(_message.Message):
    __slots__ = ("property_types", "amenities", "price_histogram")
    PROPERTY_TYPES_FIELD_NUMBER: _ClassVar[int]
    AMENITIES_FIELD_NUMBER: _ClassVar[int]
    PRICE_HISTOGRAM_FIELD_NUMBER: _ClassVar[int]
    property_types: _containers.RepeatedCompositeFieldContainer[FacetCount]
    amenities: _containers.RepeatedCompositeFieldContainer[FacetCount]
    price_histogram: _containers.RepeatedCompositeFieldContainer[FacetCount]
    def __init__(self, property_types: _Optional[_Iterable[_Union[FacetCount, _Mapping]]] = ..., amenities: _Optional[_Iterable[_Union[FacetCount, _Mapping]]] = ..., price_histogram: _Optional[_Iterable[_Union[FacetCount, _Mapping]]] = ...) -> None: ...

class SearchPropertiesResponse(_message.Message):
    __slots__ = ("results", "next_page_token", "total_size", "facets")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    FACETS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SearchResult]
    next_page_token: str
    total_size: int
    facets: Facets
    def __init__(self, results: _Optional[_Iterable[_Union[SearchResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., facets: _Optional[_Union[Facets, _Mapping]] = ...) -> None: ...

class AutocompleteRequest(_message.Message):
    __slots__ = ("prefix", "limit")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    limit: int
    def __init__(self, prefix: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class PlaceSuggestion(_message.Message):
    __slots__ = ("place", "listing_count")
    PLACE_FIELD_NUMBER: _ClassVar[int]
    LISTING_COUNT_FIELD_NUMBER: _ClassVar[int]
    place: str
    listing_count: int
    def __init__(self, place: _Optional[str] = ..., listing_count: _Optional[int] = ...) -> None: ...

class ListingSuggestion(_message.Message):
    __slots__ = ("property", "title")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    property: str
    title: str
    def __init__(self, property: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class AutocompleteResponse(_message.Message):
    __slots__ = ("places", "listings")
    PLACES_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    places: _containers.RepeatedCompositeFieldContainer[PlaceSuggestion]
    listings: _containers.RepeatedCompositeFieldContainer[ListingSuggestion]
    def __init__(self, places: _Optional[_Iterable[_Union[PlaceSuggestion, _Mapping]]] = ..., listings: _Optional[_Iterable[_Union[ListingSuggestion, _Mapping]]] = ...) -> None: ...

class SavedSearch(_message.Message):
    __slots__ = ("name", "display_name", "query", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    query: PropertyQuery
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., query: _Optional[_Union[PropertyQuery, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateSavedSearchRequest(_message.Message):
    __slots__ = ("parent", "saved_search")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SAVED_SEARCH_FIELD_NUMBER: _ClassVar[int]
    parent: str
    saved_search: SavedSearch
    def __init__(self, parent: _Optional[str] = ..., saved_search: _Optional[_Union[SavedSearch, _Mapping]] = ...) -> None: ...

class CreateSavedSearchResponse(_message.Message):
    __slots__ = ("saved_search",)
    SAVED_SEARCH_FIELD_NUMBER: _ClassVar[int]
    saved_search: SavedSearch
    def __init__(self, saved_search: _Optional[_Union[SavedSearch, _Mapping]] = ...) -> None: ...

class ListSavedSearchesRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListSavedSearchesResponse(_message.Message):
    __slots__ = ("saved_searches",)
    SAVED_SEARCHES_FIELD_NUMBER: _ClassVar[int]
    saved_searches: _containers.RepeatedCompositeFieldContainer[SavedSearch]
    def __init__(self, saved_searches: _Optional[_Iterable[_Union[SavedSearch, _Mapping]]] = ...) -> None: ...

class DeleteSavedSearchRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSavedSearchResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
