from estospaces.leads.v1 import lead_pb2 as _lead_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LeadCreated(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ...) -> None: ...

class LeadInquired(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ...) -> None: ...

class LeadStageChanged(_message.Message):
    __slots__ = ("lead", "previous_stage")
    LEAD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STAGE_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    previous_stage: _lead_pb2.Lead.Stage
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ..., previous_stage: _Optional[_Union[_lead_pb2.Lead.Stage, str]] = ...) -> None: ...

class LeadAssigned(_message.Message):
    __slots__ = ("lead", "previous_agent")
    LEAD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_AGENT_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    previous_agent: str
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ..., previous_agent: _Optional[str] = ...) -> None: ...

class LeadRescored(_message.Message):
    __slots__ = ("lead", "previous_score")
    LEAD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SCORE_FIELD_NUMBER: _ClassVar[int]
    lead: _lead_pb2.Lead
    previous_score: int
    def __init__(self, lead: _Optional[_Union[_lead_pb2.Lead, _Mapping]] = ..., previous_score: _Optional[int] = ...) -> None: ...

class LeadNoteAdded(_message.Message):
    __slots__ = ("note", "author")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    note: str
    author: str
    def __init__(self, note: _Optional[str] = ..., author: _Optional[str] = ...) -> None: ...

class LeadTaskChanged(_message.Message):
    __slots__ = ("lead_task",)
    LEAD_TASK_FIELD_NUMBER: _ClassVar[int]
    lead_task: _lead_pb2.LeadTask
    def __init__(self, lead_task: _Optional[_Union[_lead_pb2.LeadTask, _Mapping]] = ...) -> None: ...

class ViewingChanged(_message.Message):
    __slots__ = ("lead", "viewing_slot", "contact", "listing_title")
    LEAD_FIELD_NUMBER: _ClassVar[int]
    VIEWING_SLOT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    LISTING_TITLE_FIELD_NUMBER: _ClassVar[int]
    lead: str
    viewing_slot: _lead_pb2.ViewingSlot
    contact: _lead_pb2.Contact
    listing_title: str
    def __init__(self, lead: _Optional[str] = ..., viewing_slot: _Optional[_Union[_lead_pb2.ViewingSlot, _Mapping]] = ..., contact: _Optional[_Union[_lead_pb2.Contact, _Mapping]] = ..., listing_title: _Optional[str] = ...) -> None: ...
