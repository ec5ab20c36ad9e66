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

class Financing(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINANCING_UNSPECIFIED: _ClassVar[Financing]
    FINANCING_CASH: _ClassVar[Financing]
    FINANCING_MORTGAGE_APPROVED: _ClassVar[Financing]
    FINANCING_MORTGAGE_NEEDED: _ClassVar[Financing]
FINANCING_UNSPECIFIED: Financing
FINANCING_CASH: Financing
FINANCING_MORTGAGE_APPROVED: Financing
FINANCING_MORTGAGE_NEEDED: Financing

class Lead(_message.Message):
    __slots__ = ("name", "listing", "listing_title", "agent", "agency", "contact", "source", "conversation", "stage", "lost_reason", "lost_note", "budget", "currency_code", "financing", "inquiry_count", "last_message", "score", "score_factors", "first_response_time", "viewing", "create_time", "update_time", "etag")
    class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STAGE_UNSPECIFIED: _ClassVar[Lead.Stage]
        STAGE_NEW: _ClassVar[Lead.Stage]
        STAGE_CONTACTED: _ClassVar[Lead.Stage]
        STAGE_VIEWING_SCHEDULED: _ClassVar[Lead.Stage]
        STAGE_OFFER: _ClassVar[Lead.Stage]
        STAGE_WON: _ClassVar[Lead.Stage]
        STAGE_LOST: _ClassVar[Lead.Stage]
    STAGE_UNSPECIFIED: Lead.Stage
    STAGE_NEW: Lead.Stage
    STAGE_CONTACTED: Lead.Stage
    STAGE_VIEWING_SCHEDULED: Lead.Stage
    STAGE_OFFER: Lead.Stage
    STAGE_WON: Lead.Stage
    STAGE_LOST: Lead.Stage
    class LostReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        LOST_REASON_UNSPECIFIED: _ClassVar[Lead.LostReason]
        LOST_REASON_WENT_ELSEWHERE: _ClassVar[Lead.LostReason]
        LOST_REASON_BUDGET: _ClassVar[Lead.LostReason]
        LOST_REASON_UNRESPONSIVE: _ClassVar[Lead.LostReason]
        LOST_REASON_LISTING_GONE: _ClassVar[Lead.LostReason]
        LOST_REASON_NOT_GENUINE: _ClassVar[Lead.LostReason]
        LOST_REASON_OTHER: _ClassVar[Lead.LostReason]
    LOST_REASON_UNSPECIFIED: Lead.LostReason
    LOST_REASON_WENT_ELSEWHERE: Lead.LostReason
    LOST_REASON_BUDGET: Lead.LostReason
    LOST_REASON_UNRESPONSIVE: Lead.LostReason
    LOST_REASON_LISTING_GONE: Lead.LostReason
    LOST_REASON_NOT_GENUINE: Lead.LostReason
    LOST_REASON_OTHER: Lead.LostReason
    class Source(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SOURCE_UNSPECIFIED: _ClassVar[Lead.Source]
        SOURCE_FORM: _ClassVar[Lead.Source]
        SOURCE_MESSAGING: _ClassVar[Lead.Source]
    SOURCE_UNSPECIFIED: Lead.Source
    SOURCE_FORM: Lead.Source
    SOURCE_MESSAGING: Lead.Source
    NAME_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    LISTING_TITLE_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    LOST_REASON_FIELD_NUMBER: _ClassVar[int]
    LOST_NOTE_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    FINANCING_FIELD_NUMBER: _ClassVar[int]
    INQUIRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FACTORS_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_TIME_FIELD_NUMBER: _ClassVar[int]
    VIEWING_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    listing: str
    listing_title: str
    agent: str
    agency: str
    contact: Contact
    source: Lead.Source
    conversation: str
    stage: Lead.Stage
    lost_reason: Lead.LostReason
    lost_note: str
    budget: int
    currency_code: str
    financing: Financing
    inquiry_count: int
    last_message: str
    score: int
    score_factors: _containers.RepeatedCompositeFieldContainer[ScoreFactor]
    first_response_time: _timestamp_pb2.Timestamp
    viewing: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., listing: _Optional[str] = ..., listing_title: _Optional[str] = ..., agent: _Optional[str] = ..., agency: _Optional[str] = ..., contact: _Optional[_Union[Contact, _Mapping]] = ..., source: _Optional[_Union[Lead.Source, str]] = ..., conversation: _Optional[str] = ..., stage: _Optional[_Union[Lead.Stage, str]] = ..., lost_reason: _Optional[_Union[Lead.LostReason, str]] = ..., lost_note: _Optional[str] = ..., budget: _Optional[int] = ..., currency_code: _Optional[str] = ..., financing: _Optional[_Union[Financing, str]] = ..., inquiry_count: _Optional[int] = ..., last_message: _Optional[str] = ..., score: _Optional[int] = ..., score_factors: _Optional[_Iterable[_Union[ScoreFactor, _Mapping]]] = ..., first_response_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., viewing: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ("user", "display_name", "email", "phone")
    USER_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    user: str
    display_name: str
    email: str
    phone: str
    def __init__(self, user: _Optional[str] = ..., display_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class ScoreFactor(_message.Message):
    __slots__ = ("factor", "points", "max_points", "explanation")
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    factor: str
    points: int
    max_points: int
    explanation: str
    def __init__(self, factor: _Optional[str] = ..., points: _Optional[int] = ..., max_points: _Optional[int] = ..., explanation: _Optional[str] = ...) -> None: ...

class LeadNote(_message.Message):
    __slots__ = ("name", "author", "text", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    author: str
    text: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., author: _Optional[str] = ..., text: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LeadTask(_message.Message):
    __slots__ = ("name", "title", "due_time", "done", "complete_time", "creator", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    due_time: _timestamp_pb2.Timestamp
    done: bool
    complete_time: _timestamp_pb2.Timestamp
    creator: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., done: _Optional[bool] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., creator: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ViewingSlot(_message.Message):
    __slots__ = ("name", "listing", "start_time", "end_time", "lead", "booked", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LEAD_FIELD_NUMBER: _ClassVar[int]
    BOOKED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    listing: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    lead: str
    booked: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., listing: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lead: _Optional[str] = ..., booked: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentPerformance(_message.Message):
    __slots__ = ("name", "leads", "open_leads", "responded_leads", "median_response_seconds", "viewings", "won_leads", "lost_leads", "average_rating", "rating_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEADS_FIELD_NUMBER: _ClassVar[int]
    OPEN_LEADS_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_LEADS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VIEWINGS_FIELD_NUMBER: _ClassVar[int]
    WON_LEADS_FIELD_NUMBER: _ClassVar[int]
    LOST_LEADS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RATING_FIELD_NUMBER: _ClassVar[int]
    RATING_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    leads: int
    open_leads: int
    responded_leads: int
    median_response_seconds: int
    viewings: int
    won_leads: int
    lost_leads: int
    average_rating: float
    rating_count: int
    def __init__(self, name: _Optional[str] = ..., leads: _Optional[int] = ..., open_leads: _Optional[int] = ..., responded_leads: _Optional[int] = ..., median_response_seconds: _Optional[int] = ..., viewings: _Optional[int] = ..., won_leads: _Optional[int] = ..., lost_leads: _Optional[int] = ..., average_rating: _Optional[float] = ..., rating_count: _Optional[int] = ...) -> None: ...

class AgencyPerformance(_message.Message):
    __slots__ = ("name", "leads", "open_leads", "responded_leads", "median_response_seconds", "viewings", "won_leads", "lost_leads", "average_rating", "rating_count", "agents")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEADS_FIELD_NUMBER: _ClassVar[int]
    OPEN_LEADS_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_LEADS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VIEWINGS_FIELD_NUMBER: _ClassVar[int]
    WON_LEADS_FIELD_NUMBER: _ClassVar[int]
    LOST_LEADS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RATING_FIELD_NUMBER: _ClassVar[int]
    RATING_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    leads: int
    open_leads: int
    responded_leads: int
    median_response_seconds: int
    viewings: int
    won_leads: int
    lost_leads: int
    average_rating: float
    rating_count: int
    agents: int
    def __init__(self, name: _Optional[str] = ..., leads: _Optional[int] = ..., open_leads: _Optional[int] = ..., responded_leads: _Optional[int] = ..., median_response_seconds: _Optional[int] = ..., viewings: _Optional[int] = ..., won_leads: _Optional[int] = ..., lost_leads: _Optional[int] = ..., average_rating: _Optional[float] = ..., rating_count: _Optional[int] = ..., agents: _Optional[int] = ...) -> None: ...
