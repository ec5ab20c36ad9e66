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

class Review(_message.Message):
    __slots__ = ("name", "kind", "booking", "listing", "author", "reviewee", "rating", "category_ratings", "text", "state", "response", "helpful_count", "voted_helpful", "window_close_time", "create_time", "update_time", "publish_time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Review.Kind]
        KIND_GUEST: _ClassVar[Review.Kind]
        KIND_HOST: _ClassVar[Review.Kind]
        KIND_AGENT: _ClassVar[Review.Kind]
    KIND_UNSPECIFIED: Review.Kind
    KIND_GUEST: Review.Kind
    KIND_HOST: Review.Kind
    KIND_AGENT: Review.Kind
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Review.State]
        STATE_PENDING: _ClassVar[Review.State]
        STATE_PUBLISHED: _ClassVar[Review.State]
        STATE_HIDDEN: _ClassVar[Review.State]
    STATE_UNSPECIFIED: Review.State
    STATE_PENDING: Review.State
    STATE_PUBLISHED: Review.State
    STATE_HIDDEN: Review.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    REVIEWEE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_RATINGS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    HELPFUL_COUNT_FIELD_NUMBER: _ClassVar[int]
    VOTED_HELPFUL_FIELD_NUMBER: _ClassVar[int]
    WINDOW_CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: Review.Kind
    booking: str
    listing: str
    author: str
    reviewee: str
    rating: int
    category_ratings: CategoryRatings
    text: str
    state: Review.State
    response: ReviewResponse
    helpful_count: int
    voted_helpful: bool
    window_close_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    publish_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[Review.Kind, str]] = ..., booking: _Optional[str] = ..., listing: _Optional[str] = ..., author: _Optional[str] = ..., reviewee: _Optional[str] = ..., rating: _Optional[int] = ..., category_ratings: _Optional[_Union[CategoryRatings, _Mapping]] = ..., text: _Optional[str] = ..., state: _Optional[_Union[Review.State, str]] = ..., response: _Optional[_Union[ReviewResponse, _Mapping]] = ..., helpful_count: _Optional[int] = ..., voted_helpful: _Optional[bool] = ..., window_close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CategoryRatings(_message.Message):
    __slots__ = ("cleanliness", "accuracy", "communication", "location", "check_in", "value")
    CLEANLINESS_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    COMMUNICATION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    cleanliness: int
    accuracy: int
    communication: int
    location: int
    check_in: int
    value: int
    def __init__(self, cleanliness: _Optional[int] = ..., accuracy: _Optional[int] = ..., communication: _Optional[int] = ..., location: _Optional[int] = ..., check_in: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...

class CategoryAverages(_message.Message):
    __slots__ = ("cleanliness", "accuracy", "communication", "location", "check_in", "value")
    CLEANLINESS_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    COMMUNICATION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    cleanliness: float
    accuracy: float
    communication: float
    location: float
    check_in: float
    value: float
    def __init__(self, cleanliness: _Optional[float] = ..., accuracy: _Optional[float] = ..., communication: _Optional[float] = ..., location: _Optional[float] = ..., check_in: _Optional[float] = ..., value: _Optional[float] = ...) -> None: ...

class ReviewResponse(_message.Message):
    __slots__ = ("text", "create_time")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    text: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, text: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RatingSummary(_message.Message):
    __slots__ = ("name", "review_count", "average_rating", "score", "category_averages", "guest_review_count", "guest_average_rating")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RATING_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_AVERAGES_FIELD_NUMBER: _ClassVar[int]
    GUEST_REVIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    GUEST_AVERAGE_RATING_FIELD_NUMBER: _ClassVar[int]
    name: str
    review_count: int
    average_rating: float
    score: float
    category_averages: CategoryAverages
    guest_review_count: int
    guest_average_rating: float
    def __init__(self, name: _Optional[str] = ..., review_count: _Optional[int] = ..., average_rating: _Optional[float] = ..., score: _Optional[float] = ..., category_averages: _Optional[_Union[CategoryAverages, _Mapping]] = ..., guest_review_count: _Optional[int] = ..., guest_average_rating: _Optional[float] = ...) -> None: ...
