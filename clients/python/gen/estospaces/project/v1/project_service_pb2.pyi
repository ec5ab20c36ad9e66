from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.project.v1 import project_pb2 as _project_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateProjectRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class CreateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("developer", "city", "page_size", "page_token")
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    developer: str
    city: str
    page_size: int
    page_token: str
    def __init__(self, developer: _Optional[str] = ..., city: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("projects", "next_page_token")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[_project_pb2.Project]
    next_page_token: str
    def __init__(self, projects: _Optional[_Iterable[_Union[_project_pb2.Project, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ("project", "update_mask")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class CreateUnitRequest(_message.Message):
    __slots__ = ("parent", "unit")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    unit: _project_pb2.Unit
    def __init__(self, parent: _Optional[str] = ..., unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ...) -> None: ...

class CreateUnitResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: _project_pb2.Unit
    def __init__(self, unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ...) -> None: ...

class GetUnitRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetUnitResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: _project_pb2.Unit
    def __init__(self, unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ...) -> None: ...

class ListUnitsRequest(_message.Message):
    __slots__ = ("parent", "state", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _project_pb2.Unit.State
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_project_pb2.Unit.State, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUnitsResponse(_message.Message):
    __slots__ = ("units", "next_page_token")
    UNITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[_project_pb2.Unit]
    next_page_token: str
    def __init__(self, units: _Optional[_Iterable[_Union[_project_pb2.Unit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateUnitRequest(_message.Message):
    __slots__ = ("unit", "update_mask")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    unit: _project_pb2.Unit
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateUnitResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: _project_pb2.Unit
    def __init__(self, unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ...) -> None: ...

class MarkUnitSoldRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class MarkUnitSoldResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: _project_pb2.Unit
    def __init__(self, unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ...) -> None: ...

class CreateMilestoneRequest(_message.Message):
    __slots__ = ("parent", "milestone")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MILESTONE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    milestone: _project_pb2.Milestone
    def __init__(self, parent: _Optional[str] = ..., milestone: _Optional[_Union[_project_pb2.Milestone, _Mapping]] = ...) -> None: ...

class CreateMilestoneResponse(_message.Message):
    __slots__ = ("milestone",)
    MILESTONE_FIELD_NUMBER: _ClassVar[int]
    milestone: _project_pb2.Milestone
    def __init__(self, milestone: _Optional[_Union[_project_pb2.Milestone, _Mapping]] = ...) -> None: ...

class ListMilestonesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMilestonesResponse(_message.Message):
    __slots__ = ("milestones", "next_page_token")
    MILESTONES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    milestones: _containers.RepeatedCompositeFieldContainer[_project_pb2.Milestone]
    next_page_token: str
    def __init__(self, milestones: _Optional[_Iterable[_Union[_project_pb2.Milestone, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CompleteMilestoneRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CompleteMilestoneResponse(_message.Message):
    __slots__ = ("milestone",)
    MILESTONE_FIELD_NUMBER: _ClassVar[int]
    milestone: _project_pb2.Milestone
    def __init__(self, milestone: _Optional[_Union[_project_pb2.Milestone, _Mapping]] = ...) -> None: ...

class CreateProgressUpdateRequest(_message.Message):
    __slots__ = ("parent", "progress_update")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    progress_update: _project_pb2.ProgressUpdate
    def __init__(self, parent: _Optional[str] = ..., progress_update: _Optional[_Union[_project_pb2.ProgressUpdate, _Mapping]] = ...) -> None: ...

class CreateProgressUpdateResponse(_message.Message):
    __slots__ = ("progress_update",)
    PROGRESS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    progress_update: _project_pb2.ProgressUpdate
    def __init__(self, progress_update: _Optional[_Union[_project_pb2.ProgressUpdate, _Mapping]] = ...) -> None: ...

class ListProgressUpdatesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProgressUpdatesResponse(_message.Message):
    __slots__ = ("progress_updates", "next_page_token")
    PROGRESS_UPDATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    progress_updates: _containers.RepeatedCompositeFieldContainer[_project_pb2.ProgressUpdate]
    next_page_token: str
    def __init__(self, progress_updates: _Optional[_Iterable[_Union[_project_pb2.ProgressUpdate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateProjectDocumentRequest(_message.Message):
    __slots__ = ("parent", "project_document")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    project_document: _project_pb2.ProjectDocument
    def __init__(self, parent: _Optional[str] = ..., project_document: _Optional[_Union[_project_pb2.ProjectDocument, _Mapping]] = ...) -> None: ...

class CreateProjectDocumentResponse(_message.Message):
    __slots__ = ("project_document",)
    PROJECT_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    project_document: _project_pb2.ProjectDocument
    def __init__(self, project_document: _Optional[_Union[_project_pb2.ProjectDocument, _Mapping]] = ...) -> None: ...

class ListProjectDocumentsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProjectDocumentsResponse(_message.Message):
    __slots__ = ("project_documents", "next_page_token")
    PROJECT_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project_documents: _containers.RepeatedCompositeFieldContainer[_project_pb2.ProjectDocument]
    next_page_token: str
    def __init__(self, project_documents: _Optional[_Iterable[_Union[_project_pb2.ProjectDocument, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteProjectDocumentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteProjectDocumentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateReservationRequest(_message.Message):
    __slots__ = ("parent", "unit", "payment_method", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    unit: str
    payment_method: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., unit: _Optional[str] = ..., payment_method: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _project_pb2.Reservation
    def __init__(self, reservation: _Optional[_Union[_project_pb2.Reservation, _Mapping]] = ...) -> None: ...

class GetReservationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _project_pb2.Reservation
    def __init__(self, reservation: _Optional[_Union[_project_pb2.Reservation, _Mapping]] = ...) -> None: ...

class ListReservationsRequest(_message.Message):
    __slots__ = ("parent", "state", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _project_pb2.Reservation.State
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_project_pb2.Reservation.State, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReservationsResponse(_message.Message):
    __slots__ = ("reservations", "next_page_token")
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reservations: _containers.RepeatedCompositeFieldContainer[_project_pb2.Reservation]
    next_page_token: str
    def __init__(self, reservations: _Optional[_Iterable[_Union[_project_pb2.Reservation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelReservationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CancelReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _project_pb2.Reservation
    def __init__(self, reservation: _Optional[_Union[_project_pb2.Reservation, _Mapping]] = ...) -> None: ...
