import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_REASON_UNSPECIFIED: _ClassVar[ReportReason]
    REPORT_REASON_SPAM: _ClassVar[ReportReason]
    REPORT_REASON_SCAM: _ClassVar[ReportReason]
    REPORT_REASON_OFFENSIVE: _ClassVar[ReportReason]
    REPORT_REASON_DISCRIMINATION: _ClassVar[ReportReason]
    REPORT_REASON_SAFETY: _ClassVar[ReportReason]
    REPORT_REASON_MISLEADING: _ClassVar[ReportReason]
    REPORT_REASON_OTHER: _ClassVar[ReportReason]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_DISMISS: _ClassVar[Decision]
    DECISION_WARN: _ClassVar[Decision]
    DECISION_REMOVE_CONTENT: _ClassVar[Decision]
    DECISION_SUSPEND_USER: _ClassVar[Decision]
    DECISION_BAN_USER: _ClassVar[Decision]

class ContentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTENT_KIND_UNSPECIFIED: _ClassVar[ContentKind]
    CONTENT_KIND_LISTING: _ClassVar[ContentKind]
    CONTENT_KIND_REVIEW: _ClassVar[ContentKind]
REPORT_REASON_UNSPECIFIED: ReportReason
REPORT_REASON_SPAM: ReportReason
REPORT_REASON_SCAM: ReportReason
REPORT_REASON_OFFENSIVE: ReportReason
REPORT_REASON_DISCRIMINATION: ReportReason
REPORT_REASON_SAFETY: ReportReason
REPORT_REASON_MISLEADING: ReportReason
REPORT_REASON_OTHER: ReportReason
DECISION_UNSPECIFIED: Decision
DECISION_DISMISS: Decision
DECISION_WARN: Decision
DECISION_REMOVE_CONTENT: Decision
DECISION_SUSPEND_USER: Decision
DECISION_BAN_USER: Decision
CONTENT_KIND_UNSPECIFIED: ContentKind
CONTENT_KIND_LISTING: ContentKind
CONTENT_KIND_REVIEW: ContentKind

class Report(_message.Message):
    __slots__ = ("name", "target", "reason", "details", "reporter", "case", "outcome", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    target: str
    reason: ReportReason
    details: str
    reporter: str
    case: str
    outcome: Decision
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., target: _Optional[str] = ..., reason: _Optional[_Union[ReportReason, str]] = ..., details: _Optional[str] = ..., reporter: _Optional[str] = ..., case: _Optional[str] = ..., outcome: _Optional[_Union[Decision, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("name", "target", "subject", "origin", "state", "priority", "report_count", "score", "fired_rules", "assignee", "decision", "decision_reason", "decider", "create_time", "decide_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Case.State]
        STATE_OPEN: _ClassVar[Case.State]
        STATE_ASSIGNED: _ClassVar[Case.State]
        STATE_DECIDED: _ClassVar[Case.State]
    STATE_UNSPECIFIED: Case.State
    STATE_OPEN: Case.State
    STATE_ASSIGNED: Case.State
    STATE_DECIDED: Case.State
    class Origin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ORIGIN_UNSPECIFIED: _ClassVar[Case.Origin]
        ORIGIN_REPORT: _ClassVar[Case.Origin]
        ORIGIN_AUTOMATIC_CHECK: _ClassVar[Case.Origin]
        ORIGIN_LISTING_REVIEW: _ClassVar[Case.Origin]
    ORIGIN_UNSPECIFIED: Case.Origin
    ORIGIN_REPORT: Case.Origin
    ORIGIN_AUTOMATIC_CHECK: Case.Origin
    ORIGIN_LISTING_REVIEW: Case.Origin
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REPORT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FIRED_RULES_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    target: str
    subject: str
    origin: Case.Origin
    state: Case.State
    priority: int
    report_count: int
    score: int
    fired_rules: _containers.RepeatedScalarFieldContainer[str]
    assignee: str
    decision: Decision
    decision_reason: str
    decider: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., target: _Optional[str] = ..., subject: _Optional[str] = ..., origin: _Optional[_Union[Case.Origin, str]] = ..., state: _Optional[_Union[Case.State, str]] = ..., priority: _Optional[int] = ..., report_count: _Optional[int] = ..., score: _Optional[int] = ..., fired_rules: _Optional[_Iterable[str]] = ..., assignee: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., decision_reason: _Optional[str] = ..., decider: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("name", "display_name", "kind", "weight", "content_kinds", "words", "locale", "window", "limit", "enabled", "update_time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Rule.Kind]
        KIND_BANNED_WORDS: _ClassVar[Rule.Kind]
        KIND_LINKS: _ClassVar[Rule.Kind]
        KIND_CONTACT_DETAILS: _ClassVar[Rule.Kind]
        KIND_DUPLICATE_TEXT: _ClassVar[Rule.Kind]
        KIND_VELOCITY: _ClassVar[Rule.Kind]
        KIND_NEW_ACCOUNT: _ClassVar[Rule.Kind]
    KIND_UNSPECIFIED: Rule.Kind
    KIND_BANNED_WORDS: Rule.Kind
    KIND_LINKS: Rule.Kind
    KIND_CONTACT_DETAILS: Rule.Kind
    KIND_DUPLICATE_TEXT: Rule.Kind
    KIND_VELOCITY: Rule.Kind
    KIND_NEW_ACCOUNT: Rule.Kind
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_KINDS_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    kind: Rule.Kind
    weight: int
    content_kinds: _containers.RepeatedScalarFieldContainer[ContentKind]
    words: _containers.RepeatedScalarFieldContainer[str]
    locale: str
    window: _duration_pb2.Duration
    limit: int
    enabled: bool
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[Rule.Kind, str]] = ..., weight: _Optional[int] = ..., content_kinds: _Optional[_Iterable[_Union[ContentKind, str]]] = ..., words: _Optional[_Iterable[str]] = ..., locale: _Optional[str] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., limit: _Optional[int] = ..., enabled: _Optional[bool] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ContentCheck(_message.Message):
    __slots__ = ("name", "target", "content_kind", "author", "score", "fired_rules", "held", "case", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    CONTENT_KIND_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FIRED_RULES_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    target: str
    content_kind: ContentKind
    author: str
    score: int
    fired_rules: _containers.RepeatedScalarFieldContainer[str]
    held: bool
    case: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., target: _Optional[str] = ..., content_kind: _Optional[_Union[ContentKind, str]] = ..., author: _Optional[str] = ..., score: _Optional[int] = ..., fired_rules: _Optional[_Iterable[str]] = ..., held: _Optional[bool] = ..., case: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("name", "actor", "action", "target", "reason", "before", "after", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    actor: str
    action: str
    target: str
    reason: str
    before: str
    after: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target: _Optional[str] = ..., reason: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DailyMetrics(_message.Message):
    __slots__ = ("date", "new_users", "listings_published", "bookings_confirmed", "gross_booking_value", "platform_revenue")
    DATE_FIELD_NUMBER: _ClassVar[int]
    NEW_USERS_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    BOOKINGS_CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    GROSS_BOOKING_VALUE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_REVENUE_FIELD_NUMBER: _ClassVar[int]
    date: str
    new_users: int
    listings_published: int
    bookings_confirmed: int
    gross_booking_value: _containers.RepeatedCompositeFieldContainer[Amount]
    platform_revenue: _containers.RepeatedCompositeFieldContainer[Amount]
    def __init__(self, date: _Optional[str] = ..., new_users: _Optional[int] = ..., listings_published: _Optional[int] = ..., bookings_confirmed: _Optional[int] = ..., gross_booking_value: _Optional[_Iterable[_Union[Amount, _Mapping]]] = ..., platform_revenue: _Optional[_Iterable[_Union[Amount, _Mapping]]] = ...) -> None: ...

class Amount(_message.Message):
    __slots__ = ("currency_code", "amount")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    amount: int
    def __init__(self, currency_code: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...

class ListingStateCount(_message.Message):
    __slots__ = ("state", "count")
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    state: str
    count: int
    def __init__(self, state: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...
