from estospaces.property.v1 import property_pb2 as _property_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PropertyListed(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class PropertyUpdated(_message.Message):
    __slots__ = ("property", "changed_fields")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class PropertyUnlisted(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class PropertyPriceChanged(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class PropertyCalendarChanged(_message.Message):
    __slots__ = ("property", "unavailable_days")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_DAYS_FIELD_NUMBER: _ClassVar[int]
    property: str
    unavailable_days: _containers.RepeatedCompositeFieldContainer[_property_pb2.CalendarDay]
    def __init__(self, property: _Optional[str] = ..., unavailable_days: _Optional[_Iterable[_Union[_property_pb2.CalendarDay, _Mapping]]] = ...) -> None: ...

class PropertyReviewRequested(_message.Message):
    __slots__ = ("property",)
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ...) -> None: ...

class PropertyModerated(_message.Message):
    __slots__ = ("property", "previous_state", "actor", "reason")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    property: _property_pb2.Property
    previous_state: _property_pb2.Property.State
    actor: str
    reason: str
    def __init__(self, property: _Optional[_Union[_property_pb2.Property, _Mapping]] = ..., previous_state: _Optional[_Union[_property_pb2.Property.State, str]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
