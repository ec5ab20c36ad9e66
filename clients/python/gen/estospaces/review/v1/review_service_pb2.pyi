from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.review.v1 import review_pb2 as _review_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateReviewRequest(_message.Message):
    __slots__ = ("review", "request_id")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    request_id: str
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class GetReviewRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class ListReviewsRequest(_message.Message):
    __slots__ = ("parent", "authored", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AUTHORED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    authored: bool
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., authored: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReviewsResponse(_message.Message):
    __slots__ = ("reviews", "next_page_token")
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reviews: _containers.RepeatedCompositeFieldContainer[_review_pb2.Review]
    next_page_token: str
    def __init__(self, reviews: _Optional[_Iterable[_Union[_review_pb2.Review, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateReviewRequest(_message.Message):
    __slots__ = ("review", "update_mask")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class RespondToReviewRequest(_message.Message):
    __slots__ = ("name", "text")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    name: str
    text: str
    def __init__(self, name: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class RespondToReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class VoteReviewRequest(_message.Message):
    __slots__ = ("name", "helpful")
    NAME_FIELD_NUMBER: _ClassVar[int]
    HELPFUL_FIELD_NUMBER: _ClassVar[int]
    name: str
    helpful: bool
    def __init__(self, name: _Optional[str] = ..., helpful: _Optional[bool] = ...) -> None: ...

class VoteReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class ReportReviewRequest(_message.Message):
    __slots__ = ("name", "reason", "details")
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[ReportReviewRequest.Reason]
        REASON_SPAM: _ClassVar[ReportReviewRequest.Reason]
        REASON_OFFENSIVE: _ClassVar[ReportReviewRequest.Reason]
        REASON_FAKE: _ClassVar[ReportReviewRequest.Reason]
        REASON_PRIVATE_INFORMATION: _ClassVar[ReportReviewRequest.Reason]
        REASON_OTHER: _ClassVar[ReportReviewRequest.Reason]
    REASON_UNSPECIFIED: ReportReviewRequest.Reason
    REASON_SPAM: ReportReviewRequest.Reason
    REASON_OFFENSIVE: ReportReviewRequest.Reason
    REASON_FAKE: ReportReviewRequest.Reason
    REASON_PRIVATE_INFORMATION: ReportReviewRequest.Reason
    REASON_OTHER: ReportReviewRequest.Reason
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: ReportReviewRequest.Reason
    details: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[_Union[ReportReviewRequest.Reason, str]] = ..., details: _Optional[str] = ...) -> None: ...

class ReportReviewResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HideReviewRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class HideReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class RestoreReviewRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RestoreReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class GetRatingSummaryRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetRatingSummaryResponse(_message.Message):
    __slots__ = ("rating_summary",)
    RATING_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    rating_summary: _review_pb2.RatingSummary
    def __init__(self, rating_summary: _Optional[_Union[_review_pb2.RatingSummary, _Mapping]] = ...) -> None: ...
