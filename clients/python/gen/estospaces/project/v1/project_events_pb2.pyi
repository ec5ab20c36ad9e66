from estospaces.project.v1 import project_pb2 as _project_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProjectChanged(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _project_pb2.Project
    def __init__(self, project: _Optional[_Union[_project_pb2.Project, _Mapping]] = ...) -> None: ...

class UnitChanged(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: _project_pb2.Unit
    def __init__(self, unit: _Optional[_Union[_project_pb2.Unit, _Mapping]] = ...) -> None: ...

class MilestoneChanged(_message.Message):
    __slots__ = ("milestone",)
    MILESTONE_FIELD_NUMBER: _ClassVar[int]
    milestone: _project_pb2.Milestone
    def __init__(self, milestone: _Optional[_Union[_project_pb2.Milestone, _Mapping]] = ...) -> None: ...

class ProgressUpdatePosted(_message.Message):
    __slots__ = ("progress_update",)
    PROGRESS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    progress_update: _project_pb2.ProgressUpdate
    def __init__(self, progress_update: _Optional[_Union[_project_pb2.ProgressUpdate, _Mapping]] = ...) -> None: ...

class ProjectDocumentChanged(_message.Message):
    __slots__ = ("project_document",)
    PROJECT_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    project_document: _project_pb2.ProjectDocument
    def __init__(self, project_document: _Optional[_Union[_project_pb2.ProjectDocument, _Mapping]] = ...) -> None: ...

class ReservationFacts(_message.Message):
    __slots__ = ("reservation", "unit", "buyer", "developer", "deposit_amount", "currency_code")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    BUYER_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    unit: str
    buyer: str
    developer: str
    deposit_amount: int
    currency_code: str
    def __init__(self, reservation: _Optional[str] = ..., unit: _Optional[str] = ..., buyer: _Optional[str] = ..., developer: _Optional[str] = ..., deposit_amount: _Optional[int] = ..., currency_code: _Optional[str] = ...) -> None: ...

class ReservationRequested(_message.Message):
    __slots__ = ("reservation", "payment_method")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    reservation: ReservationFacts
    payment_method: str
    def __init__(self, reservation: _Optional[_Union[ReservationFacts, _Mapping]] = ..., payment_method: _Optional[str] = ...) -> None: ...

class ReservationConfirmed(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: ReservationFacts
    def __init__(self, reservation: _Optional[_Union[ReservationFacts, _Mapping]] = ...) -> None: ...

class ReservationReleased(_message.Message):
    __slots__ = ("reservation", "reason", "refund_amount")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    reservation: ReservationFacts
    reason: _project_pb2.Reservation.ReleaseReason
    refund_amount: int
    def __init__(self, reservation: _Optional[_Union[ReservationFacts, _Mapping]] = ..., reason: _Optional[_Union[_project_pb2.Reservation.ReleaseReason, str]] = ..., refund_amount: _Optional[int] = ...) -> None: ...

class ReservationCompleted(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: ReservationFacts
    def __init__(self, reservation: _Optional[_Union[ReservationFacts, _Mapping]] = ...) -> None: ...
