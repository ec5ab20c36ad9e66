import datetime

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

class ListingKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LISTING_KIND_UNSPECIFIED: _ClassVar[ListingKind]
    LISTING_KIND_SHORT_STAY: _ClassVar[ListingKind]
    LISTING_KIND_LONG_TERM_RENTAL: _ClassVar[ListingKind]
    LISTING_KIND_SALE: _ClassVar[ListingKind]

class PropertyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROPERTY_TYPE_UNSPECIFIED: _ClassVar[PropertyType]
    PROPERTY_TYPE_APARTMENT: _ClassVar[PropertyType]
    PROPERTY_TYPE_HOUSE: _ClassVar[PropertyType]
    PROPERTY_TYPE_ROOM: _ClassVar[PropertyType]
    PROPERTY_TYPE_VILLA: _ClassVar[PropertyType]
    PROPERTY_TYPE_LAND: _ClassVar[PropertyType]
    PROPERTY_TYPE_COMMERCIAL: _ClassVar[PropertyType]
    PROPERTY_TYPE_CABIN: _ClassVar[PropertyType]

class Amenity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AMENITY_UNSPECIFIED: _ClassVar[Amenity]
    AMENITY_WIFI: _ClassVar[Amenity]
    AMENITY_KITCHEN: _ClassVar[Amenity]
    AMENITY_WASHER: _ClassVar[Amenity]
    AMENITY_AIR_CONDITIONING: _ClassVar[Amenity]
    AMENITY_HEATING: _ClassVar[Amenity]
    AMENITY_PARKING: _ClassVar[Amenity]
    AMENITY_POOL: _ClassVar[Amenity]
    AMENITY_WORKSPACE: _ClassVar[Amenity]
    AMENITY_PETS_ALLOWED: _ClassVar[Amenity]
    AMENITY_STEP_FREE_ACCESS: _ClassVar[Amenity]

class BookingMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOKING_MODE_UNSPECIFIED: _ClassVar[BookingMode]
    BOOKING_MODE_INSTANT: _ClassVar[BookingMode]
    BOOKING_MODE_REQUEST: _ClassVar[BookingMode]

class CancellationPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCELLATION_POLICY_UNSPECIFIED: _ClassVar[CancellationPolicy]
    CANCELLATION_POLICY_FLEXIBLE: _ClassVar[CancellationPolicy]
    CANCELLATION_POLICY_MODERATE: _ClassVar[CancellationPolicy]
    CANCELLATION_POLICY_STRICT: _ClassVar[CancellationPolicy]
LISTING_KIND_UNSPECIFIED: ListingKind
LISTING_KIND_SHORT_STAY: ListingKind
LISTING_KIND_LONG_TERM_RENTAL: ListingKind
LISTING_KIND_SALE: ListingKind
PROPERTY_TYPE_UNSPECIFIED: PropertyType
PROPERTY_TYPE_APARTMENT: PropertyType
PROPERTY_TYPE_HOUSE: PropertyType
PROPERTY_TYPE_ROOM: PropertyType
PROPERTY_TYPE_VILLA: PropertyType
PROPERTY_TYPE_LAND: PropertyType
PROPERTY_TYPE_COMMERCIAL: PropertyType
PROPERTY_TYPE_CABIN: PropertyType
AMENITY_UNSPECIFIED: Amenity
AMENITY_WIFI: Amenity
AMENITY_KITCHEN: Amenity
AMENITY_WASHER: Amenity
AMENITY_AIR_CONDITIONING: Amenity
AMENITY_HEATING: Amenity
AMENITY_PARKING: Amenity
AMENITY_POOL: Amenity
AMENITY_WORKSPACE: Amenity
AMENITY_PETS_ALLOWED: Amenity
AMENITY_STEP_FREE_ACCESS: Amenity
BOOKING_MODE_UNSPECIFIED: BookingMode
BOOKING_MODE_INSTANT: BookingMode
BOOKING_MODE_REQUEST: BookingMode
CANCELLATION_POLICY_UNSPECIFIED: CancellationPolicy
CANCELLATION_POLICY_FLEXIBLE: CancellationPolicy
CANCELLATION_POLICY_MODERATE: CancellationPolicy
CANCELLATION_POLICY_STRICT: CancellationPolicy

class Property(_message.Message):
    __slots__ = ("name", "owner", "kind", "property_type", "state", "title", "description", "address", "bedrooms", "bathrooms", "beds", "max_guests", "floor_area_square_meters", "amenities", "house_rules", "photos", "check_in_time", "check_out_time", "cancellation_policy", "refund_schedule", "booking_mode", "min_nights", "max_nights", "currency_code", "short_stay_pricing", "long_term_pricing", "sale_pricing", "view_count", "create_time", "update_time", "etag", "rating", "moderation_reason")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Property.State]
        STATE_DRAFT: _ClassVar[Property.State]
        STATE_PUBLISHED: _ClassVar[Property.State]
        STATE_PAUSED: _ClassVar[Property.State]
        STATE_ARCHIVED: _ClassVar[Property.State]
        STATE_SOLD: _ClassVar[Property.State]
        STATE_RENTED: _ClassVar[Property.State]
        STATE_PENDING_REVIEW: _ClassVar[Property.State]
        STATE_REJECTED: _ClassVar[Property.State]
        STATE_TAKEN_DOWN: _ClassVar[Property.State]
    STATE_UNSPECIFIED: Property.State
    STATE_DRAFT: Property.State
    STATE_PUBLISHED: Property.State
    STATE_PAUSED: Property.State
    STATE_ARCHIVED: Property.State
    STATE_SOLD: Property.State
    STATE_RENTED: Property.State
    STATE_PENDING_REVIEW: Property.State
    STATE_REJECTED: Property.State
    STATE_TAKEN_DOWN: Property.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BEDROOMS_FIELD_NUMBER: _ClassVar[int]
    BATHROOMS_FIELD_NUMBER: _ClassVar[int]
    BEDS_FIELD_NUMBER: _ClassVar[int]
    MAX_GUESTS_FIELD_NUMBER: _ClassVar[int]
    FLOOR_AREA_SQUARE_METERS_FIELD_NUMBER: _ClassVar[int]
    AMENITIES_FIELD_NUMBER: _ClassVar[int]
    HOUSE_RULES_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_POLICY_FIELD_NUMBER: _ClassVar[int]
    REFUND_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_MODE_FIELD_NUMBER: _ClassVar[int]
    MIN_NIGHTS_FIELD_NUMBER: _ClassVar[int]
    MAX_NIGHTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    SHORT_STAY_PRICING_FIELD_NUMBER: _ClassVar[int]
    LONG_TERM_PRICING_FIELD_NUMBER: _ClassVar[int]
    SALE_PRICING_FIELD_NUMBER: _ClassVar[int]
    VIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    MODERATION_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    kind: ListingKind
    property_type: PropertyType
    state: Property.State
    title: str
    description: str
    address: Address
    bedrooms: int
    bathrooms: int
    beds: int
    max_guests: int
    floor_area_square_meters: int
    amenities: _containers.RepeatedScalarFieldContainer[Amenity]
    house_rules: _containers.RepeatedScalarFieldContainer[str]
    photos: _containers.RepeatedCompositeFieldContainer[Photo]
    check_in_time: TimeOfDay
    check_out_time: TimeOfDay
    cancellation_policy: CancellationPolicy
    refund_schedule: _containers.RepeatedCompositeFieldContainer[RefundRule]
    booking_mode: BookingMode
    min_nights: int
    max_nights: int
    currency_code: str
    short_stay_pricing: ShortStayPricing
    long_term_pricing: LongTermPricing
    sale_pricing: SalePricing
    view_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    rating: Rating
    moderation_reason: str
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., kind: _Optional[_Union[ListingKind, str]] = ..., property_type: _Optional[_Union[PropertyType, str]] = ..., state: _Optional[_Union[Property.State, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., address: _Optional[_Union[Address, _Mapping]] = ..., bedrooms: _Optional[int] = ..., bathrooms: _Optional[int] = ..., beds: _Optional[int] = ..., max_guests: _Optional[int] = ..., floor_area_square_meters: _Optional[int] = ..., amenities: _Optional[_Iterable[_Union[Amenity, str]]] = ..., house_rules: _Optional[_Iterable[str]] = ..., photos: _Optional[_Iterable[_Union[Photo, _Mapping]]] = ..., check_in_time: _Optional[_Union[TimeOfDay, _Mapping]] = ..., check_out_time: _Optional[_Union[TimeOfDay, _Mapping]] = ..., cancellation_policy: _Optional[_Union[CancellationPolicy, str]] = ..., refund_schedule: _Optional[_Iterable[_Union[RefundRule, _Mapping]]] = ..., booking_mode: _Optional[_Union[BookingMode, str]] = ..., min_nights: _Optional[int] = ..., max_nights: _Optional[int] = ..., currency_code: _Optional[str] = ..., short_stay_pricing: _Optional[_Union[ShortStayPricing, _Mapping]] = ..., long_term_pricing: _Optional[_Union[LongTermPricing, _Mapping]] = ..., sale_pricing: _Optional[_Union[SalePricing, _Mapping]] = ..., view_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., rating: _Optional[_Union[Rating, _Mapping]] = ..., moderation_reason: _Optional[str] = ...) -> None: ...

class Rating(_message.Message):
    __slots__ = ("average", "review_count", "score")
    AVERAGE_FIELD_NUMBER: _ClassVar[int]
    REVIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    average: float
    review_count: int
    score: float
    def __init__(self, average: _Optional[float] = ..., review_count: _Optional[int] = ..., score: _Optional[float] = ...) -> None: ...

class RefundRule(_message.Message):
    __slots__ = ("days_before_check_in", "refund_basis_points")
    DAYS_BEFORE_CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    REFUND_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    days_before_check_in: int
    refund_basis_points: int
    def __init__(self, days_before_check_in: _Optional[int] = ..., refund_basis_points: _Optional[int] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("street", "locality", "region", "postal_code", "country_code", "location")
    STREET_FIELD_NUMBER: _ClassVar[int]
    LOCALITY_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    street: str
    locality: str
    region: str
    postal_code: str
    country_code: str
    location: GeoPoint
    def __init__(self, street: _Optional[str] = ..., locality: _Optional[str] = ..., region: _Optional[str] = ..., postal_code: _Optional[str] = ..., country_code: _Optional[str] = ..., location: _Optional[_Union[GeoPoint, _Mapping]] = ...) -> None: ...

class GeoPoint(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class Photo(_message.Message):
    __slots__ = ("media_id", "caption", "cover")
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    COVER_FIELD_NUMBER: _ClassVar[int]
    media_id: str
    caption: str
    cover: bool
    def __init__(self, media_id: _Optional[str] = ..., caption: _Optional[str] = ..., cover: _Optional[bool] = ...) -> None: ...

class TimeOfDay(_message.Message):
    __slots__ = ("hours", "minutes")
    HOURS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    hours: int
    minutes: int
    def __init__(self, hours: _Optional[int] = ..., minutes: _Optional[int] = ...) -> None: ...

class Date(_message.Message):
    __slots__ = ("year", "month", "day")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ...) -> None: ...

class SeasonalPrice(_message.Message):
    __slots__ = ("label", "start_date", "end_date", "nightly_price")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    NIGHTLY_PRICE_FIELD_NUMBER: _ClassVar[int]
    label: str
    start_date: Date
    end_date: Date
    nightly_price: int
    def __init__(self, label: _Optional[str] = ..., start_date: _Optional[_Union[Date, _Mapping]] = ..., end_date: _Optional[_Union[Date, _Mapping]] = ..., nightly_price: _Optional[int] = ...) -> None: ...

class ShortStayPricing(_message.Message):
    __slots__ = ("base_nightly_price", "weekend_nightly_price", "seasonal_prices", "weekly_discount_basis_points", "monthly_discount_basis_points", "cleaning_fee", "included_guests", "extra_guest_fee", "tax_basis_points")
    BASE_NIGHTLY_PRICE_FIELD_NUMBER: _ClassVar[int]
    WEEKEND_NIGHTLY_PRICE_FIELD_NUMBER: _ClassVar[int]
    SEASONAL_PRICES_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_DISCOUNT_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_DISCOUNT_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    CLEANING_FEE_FIELD_NUMBER: _ClassVar[int]
    INCLUDED_GUESTS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_GUEST_FEE_FIELD_NUMBER: _ClassVar[int]
    TAX_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    base_nightly_price: int
    weekend_nightly_price: int
    seasonal_prices: _containers.RepeatedCompositeFieldContainer[SeasonalPrice]
    weekly_discount_basis_points: int
    monthly_discount_basis_points: int
    cleaning_fee: int
    included_guests: int
    extra_guest_fee: int
    tax_basis_points: int
    def __init__(self, base_nightly_price: _Optional[int] = ..., weekend_nightly_price: _Optional[int] = ..., seasonal_prices: _Optional[_Iterable[_Union[SeasonalPrice, _Mapping]]] = ..., weekly_discount_basis_points: _Optional[int] = ..., monthly_discount_basis_points: _Optional[int] = ..., cleaning_fee: _Optional[int] = ..., included_guests: _Optional[int] = ..., extra_guest_fee: _Optional[int] = ..., tax_basis_points: _Optional[int] = ...) -> None: ...

class LongTermPricing(_message.Message):
    __slots__ = ("monthly_rent", "deposit")
    MONTHLY_RENT_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    monthly_rent: int
    deposit: int
    def __init__(self, monthly_rent: _Optional[int] = ..., deposit: _Optional[int] = ...) -> None: ...

class SalePricing(_message.Message):
    __slots__ = ("asking_price",)
    ASKING_PRICE_FIELD_NUMBER: _ClassVar[int]
    asking_price: int
    def __init__(self, asking_price: _Optional[int] = ...) -> None: ...

class CalendarDay(_message.Message):
    __slots__ = ("date", "status", "nightly_price")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[CalendarDay.Status]
        STATUS_AVAILABLE: _ClassVar[CalendarDay.Status]
        STATUS_BLOCKED: _ClassVar[CalendarDay.Status]
        STATUS_BOOKED: _ClassVar[CalendarDay.Status]
    STATUS_UNSPECIFIED: CalendarDay.Status
    STATUS_AVAILABLE: CalendarDay.Status
    STATUS_BLOCKED: CalendarDay.Status
    STATUS_BOOKED: CalendarDay.Status
    DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NIGHTLY_PRICE_FIELD_NUMBER: _ClassVar[int]
    date: Date
    status: CalendarDay.Status
    nightly_price: int
    def __init__(self, date: _Optional[_Union[Date, _Mapping]] = ..., status: _Optional[_Union[CalendarDay.Status, str]] = ..., nightly_price: _Optional[int] = ...) -> None: ...
