from estospaces.review.v1 import review_pb2 as _review_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReviewPublished(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class ReviewResponded(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class ReviewReported(_message.Message):
    __slots__ = ("review", "reporter", "reason", "details")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    review: str
    reporter: str
    reason: str
    details: str
    def __init__(self, review: _Optional[str] = ..., reporter: _Optional[str] = ..., reason: _Optional[str] = ..., details: _Optional[str] = ...) -> None: ...

class ReviewModerated(_message.Message):
    __slots__ = ("review", "moderator", "reason")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    MODERATOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    moderator: str
    reason: str
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ..., moderator: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RatingChanged(_message.Message):
    __slots__ = ("rating_summary",)
    RATING_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    rating_summary: _review_pb2.RatingSummary
    def __init__(self, rating_summary: _Optional[_Union[_review_pb2.RatingSummary, _Mapping]] = ...) -> None: ...

class FavoriteAdded(_message.Message):
    __slots__ = ("wishlist", "listing", "save_count")
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    SAVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    wishlist: str
    listing: str
    save_count: int
    def __init__(self, wishlist: _Optional[str] = ..., listing: _Optional[str] = ..., save_count: _Optional[int] = ...) -> None: ...

class FavoriteRemoved(_message.Message):
    __slots__ = ("wishlist", "listing", "save_count")
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    SAVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    wishlist: str
    listing: str
    save_count: int
    def __init__(self, wishlist: _Optional[str] = ..., listing: _Optional[str] = ..., save_count: _Optional[int] = ...) -> None: ...
