from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.leads.v1 import lead_pb2 as _lead_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateInquiryRequest(_message.Message):
    __slots__ = ("listing", "contact", "message", "budget", "financing", "captcha_token")
    LISTING_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    FINANCING_FIELD_NUMBER: _ClassVar[int]
    CAPTCHA_TOKEN_FIELD_NUMBER: _ClassVar[int]
    listing: str
    contact: _lead_pb2.Contact
    message: str
    budget: int
    financing: _lead_pb2.Financing
    captcha_token: str
    def __init__(self, listing: _Optional[str] = ..., contact: _Optional[_Union[_lead_pb2.Contact, _Mapping]] = ..., message: _Optional[str] = ..., budget: _Optional[int] = ..., financing: _Optional[_Union[_lead_pb2.Financing, str]] = ..., captcha_token: _Optional[str] = ...) -> None: ...

class CreateInquiryResponse(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: str
    def __init__(self, lead: _Optional[str] = ...) -> None: ...

class GetLeadRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLeadResponse(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ...) -> None: ...

class ListLeadsRequest(_message.Message):
    __slots__ = ("agency", "stage", "page_size", "page_token")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agency: str
    stage: _lead_pb2.Lead.Stage
    page_size: int
    page_token: str
    def __init__(self, agency: _Optional[str] = ..., stage: _Optional[_Union[_lead_pb2.Lead.Stage, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLeadsResponse(_message.Message):
    __slots__ = ("leads", "next_page_token")
    LEADS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    leads: _containers.RepeatedCompositeFieldContainer[_lead_pb2.Lead]
    next_page_token: str
    def __init__(self, leads: _Optional[_Iterable[_Union[_lead_pb2.Lead, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ChangeLeadStageRequest(_message.Message):
    __slots__ = ("name", "stage", "lost_reason", "lost_note", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    LOST_REASON_FIELD_NUMBER: _ClassVar[int]
    LOST_NOTE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    stage: _lead_pb2.Lead.Stage
    lost_reason: _lead_pb2.Lead.LostReason
    lost_note: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., stage: _Optional[_Union[_lead_pb2.Lead.Stage, str]] = ..., lost_reason: _Optional[_Union[_lead_pb2.Lead.LostReason, str]] = ..., lost_note: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ChangeLeadStageResponse(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ...) -> None: ...

class AssignLeadRequest(_message.Message):
    __slots__ = ("name", "agent", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    agent: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., agent: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class AssignLeadResponse(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ...) -> None: ...

class CreateLeadNoteRequest(_message.Message):
    __slots__ = ("parent", "lead_note")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    LEAD_NOTE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    lead_note: _lead_pb2.LeadNote
    def __init__(self, parent: _Optional[str] = ..., lead_note: _Optional[_Union[_lead_pb2.LeadNote, _Mapping]] = ...) -> None: ...

class CreateLeadNoteResponse(_message.Message):
    __slots__ = ("lead_note",)
    LEAD_NOTE_FIELD_NUMBER: _ClassVar[int]
    lead_note: _lead_pb2.LeadNote
    def __init__(self, lead_note: _Optional[_Union[_lead_pb2.LeadNote, _Mapping]] = ...) -> None: ...

class ListLeadNotesRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListLeadNotesResponse(_message.Message):
    __slots__ = ("lead_notes",)
    LEAD_NOTES_FIELD_NUMBER: _ClassVar[int]
    lead_notes: _containers.RepeatedCompositeFieldContainer[_lead_pb2.LeadNote]
    def __init__(self, lead_notes: _Optional[_Iterable[_Union[_lead_pb2.LeadNote, _Mapping]]] = ...) -> None: ...

class CreateLeadTaskRequest(_message.Message):
    __slots__ = ("parent", "lead_task")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    LEAD_TASK_FIELD_NUMBER: _ClassVar[int]
    parent: str
    lead_task: _lead_pb2.LeadTask
    def __init__(self, parent: _Optional[str] = ..., lead_task: _Optional[_Union[_lead_pb2.LeadTask, _Mapping]] = ...) -> None: ...

class CreateLeadTaskResponse(_message.Message):
    __slots__ = ("lead_task",)
    LEAD_TASK_FIELD_NUMBER: _ClassVar[int]
    lead_task: _lead_pb2.LeadTask
    def __init__(self, lead_task: _Optional[_Union[_lead_pb2.LeadTask, _Mapping]] = ...) -> None: ...

class ListLeadTasksRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListLeadTasksResponse(_message.Message):
    __slots__ = ("lead_tasks",)
    LEAD_TASKS_FIELD_NUMBER: _ClassVar[int]
    lead_tasks: _containers.RepeatedCompositeFieldContainer[_lead_pb2.LeadTask]
    def __init__(self, lead_tasks: _Optional[_Iterable[_Union[_lead_pb2.LeadTask, _Mapping]]] = ...) -> None: ...

class CompleteLeadTaskRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CompleteLeadTaskResponse(_message.Message):
    __slots__ = ("lead_task",)
    LEAD_TASK_FIELD_NUMBER: _ClassVar[int]
    lead_task: _lead_pb2.LeadTask
    def __init__(self, lead_task: _Optional[_Union[_lead_pb2.LeadTask, _Mapping]] = ...) -> None: ...

class CreateViewingSlotRequest(_message.Message):
    __slots__ = ("parent", "viewing_slot")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VIEWING_SLOT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    viewing_slot: _lead_pb2.ViewingSlot
    def __init__(self, parent: _Optional[str] = ..., viewing_slot: _Optional[_Union[_lead_pb2.ViewingSlot, _Mapping]] = ...) -> None: ...

class CreateViewingSlotResponse(_message.Message):
    __slots__ = ("viewing_slot",)
    VIEWING_SLOT_FIELD_NUMBER: _ClassVar[int]
    viewing_slot: _lead_pb2.ViewingSlot
    def __init__(self, viewing_slot: _Optional[_Union[_lead_pb2.ViewingSlot, _Mapping]] = ...) -> None: ...

class ListViewingSlotsRequest(_message.Message):
    __slots__ = ("parent", "listing", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    listing: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., listing: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListViewingSlotsResponse(_message.Message):
    __slots__ = ("viewing_slots", "next_page_token")
    VIEWING_SLOTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    viewing_slots: _containers.RepeatedCompositeFieldContainer[_lead_pb2.ViewingSlot]
    next_page_token: str
    def __init__(self, viewing_slots: _Optional[_Iterable[_Union[_lead_pb2.ViewingSlot, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteViewingSlotRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteViewingSlotResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BookViewingRequest(_message.Message):
    __slots__ = ("lead", "viewing_slot")
    LEAD_FIELD_NUMBER: _ClassVar[int]
    VIEWING_SLOT_FIELD_NUMBER: _ClassVar[int]
    lead: str
    viewing_slot: str
    def __init__(self, lead: _Optional[str] = ..., viewing_slot: _Optional[str] = ...) -> None: ...

class BookViewingResponse(_message.Message):
    __slots__ = ("viewing_slot",)
    VIEWING_SLOT_FIELD_NUMBER: _ClassVar[int]
    viewing_slot: _lead_pb2.ViewingSlot
    def __init__(self, viewing_slot: _Optional[_Union[_lead_pb2.ViewingSlot, _Mapping]] = ...) -> None: ...

class CancelViewingRequest(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: str
    def __init__(self, lead: _Optional[str] = ...) -> None: ...

class CancelViewingResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetViewingCalendarFeedRequest(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: str
    def __init__(self, agent: _Optional[str] = ...) -> None: ...

class GetAgentPerformanceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAgentPerformanceResponse(_message.Message):
    __slots__ = ("agent_performance",)
    AGENT_PERFORMANCE_FIELD_NUMBER: _ClassVar[int]
    agent_performance: _lead_pb2.AgentPerformance
    def __init__(self, agent_performance: _Optional[_Union[_lead_pb2.AgentPerformance, _Mapping]] = ...) -> None: ...

class GetAgencyPerformanceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAgencyPerformanceResponse(_message.Message):
    __slots__ = ("agency_performance",)
    AGENCY_PERFORMANCE_FIELD_NUMBER: _ClassVar[int]
    agency_performance: _lead_pb2.AgencyPerformance
    def __init__(self, agency_performance: _Optional[_Union[_lead_pb2.AgencyPerformance, _Mapping]] = ...) -> None: ...
