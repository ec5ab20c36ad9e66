import datetime

from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_SMS: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_PUSH: _ClassVar[NotificationChannel]

class VerificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATUS_UNSPECIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_PENDING: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_VERIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_REJECTED: _ClassVar[VerificationStatus]

class MemberRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_ROLE_UNSPECIFIED: _ClassVar[MemberRole]
    MEMBER_ROLE_OWNER: _ClassVar[MemberRole]
    MEMBER_ROLE_MANAGER: _ClassVar[MemberRole]
    MEMBER_ROLE_AGENT: _ClassVar[MemberRole]
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
NOTIFICATION_CHANNEL_SMS: NotificationChannel
NOTIFICATION_CHANNEL_PUSH: NotificationChannel
VERIFICATION_STATUS_UNSPECIFIED: VerificationStatus
VERIFICATION_STATUS_PENDING: VerificationStatus
VERIFICATION_STATUS_VERIFIED: VerificationStatus
VERIFICATION_STATUS_REJECTED: VerificationStatus
MEMBER_ROLE_UNSPECIFIED: MemberRole
MEMBER_ROLE_OWNER: MemberRole
MEMBER_ROLE_MANAGER: MemberRole
MEMBER_ROLE_AGENT: MemberRole

class Profile(_message.Message):
    __slots__ = ("name", "display_name", "avatar_media_id", "bio", "phone", "languages", "city", "preferences", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    BIO_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    avatar_media_id: str
    bio: str
    phone: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    city: str
    preferences: Preferences
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., avatar_media_id: _Optional[str] = ..., bio: _Optional[str] = ..., phone: _Optional[str] = ..., languages: _Optional[_Iterable[str]] = ..., city: _Optional[str] = ..., preferences: _Optional[_Union[Preferences, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Preferences(_message.Message):
    __slots__ = ("currency", "language", "notification_channels")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    currency: str
    language: str
    notification_channels: _containers.RepeatedScalarFieldContainer[NotificationChannel]
    def __init__(self, currency: _Optional[str] = ..., language: _Optional[str] = ..., notification_channels: _Optional[_Iterable[_Union[NotificationChannel, str]]] = ...) -> None: ...

class HostProfile(_message.Message):
    __slots__ = ("name", "about", "response_time_minutes", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ABOUT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TIME_MINUTES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    about: str
    response_time_minutes: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., about: _Optional[str] = ..., response_time_minutes: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentProfile(_message.Message):
    __slots__ = ("name", "licence_number", "verification_status", "verify_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LICENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    VERIFY_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    licence_number: str
    verification_status: VerificationStatus
    verify_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., licence_number: _Optional[str] = ..., verification_status: _Optional[_Union[VerificationStatus, str]] = ..., verify_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Agency(_message.Message):
    __slots__ = ("name", "display_name", "description", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    description: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgencyMember(_message.Message):
    __slots__ = ("name", "user", "role", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    user: str
    role: MemberRole
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., user: _Optional[str] = ..., role: _Optional[_Union[MemberRole, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ...) -> None: ...

class UpdateProfileRequest(_message.Message):
    __slots__ = ("profile", "update_mask")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ...) -> None: ...

class GetHostProfileRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetHostProfileResponse(_message.Message):
    __slots__ = ("host_profile",)
    HOST_PROFILE_FIELD_NUMBER: _ClassVar[int]
    host_profile: HostProfile
    def __init__(self, host_profile: _Optional[_Union[HostProfile, _Mapping]] = ...) -> None: ...

class UpdateHostProfileRequest(_message.Message):
    __slots__ = ("host_profile", "update_mask")
    HOST_PROFILE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    host_profile: HostProfile
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, host_profile: _Optional[_Union[HostProfile, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateHostProfileResponse(_message.Message):
    __slots__ = ("host_profile",)
    HOST_PROFILE_FIELD_NUMBER: _ClassVar[int]
    host_profile: HostProfile
    def __init__(self, host_profile: _Optional[_Union[HostProfile, _Mapping]] = ...) -> None: ...

class GetAgentProfileRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAgentProfileResponse(_message.Message):
    __slots__ = ("agent_profile",)
    AGENT_PROFILE_FIELD_NUMBER: _ClassVar[int]
    agent_profile: AgentProfile
    def __init__(self, agent_profile: _Optional[_Union[AgentProfile, _Mapping]] = ...) -> None: ...

class UpdateAgentProfileRequest(_message.Message):
    __slots__ = ("agent_profile", "update_mask")
    AGENT_PROFILE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    agent_profile: AgentProfile
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, agent_profile: _Optional[_Union[AgentProfile, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateAgentProfileResponse(_message.Message):
    __slots__ = ("agent_profile",)
    AGENT_PROFILE_FIELD_NUMBER: _ClassVar[int]
    agent_profile: AgentProfile
    def __init__(self, agent_profile: _Optional[_Union[AgentProfile, _Mapping]] = ...) -> None: ...

class VerifyAgentProfileRequest(_message.Message):
    __slots__ = ("name", "verification_status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    verification_status: VerificationStatus
    def __init__(self, name: _Optional[str] = ..., verification_status: _Optional[_Union[VerificationStatus, str]] = ...) -> None: ...

class VerifyAgentProfileResponse(_message.Message):
    __slots__ = ("agent_profile",)
    AGENT_PROFILE_FIELD_NUMBER: _ClassVar[int]
    agent_profile: AgentProfile
    def __init__(self, agent_profile: _Optional[_Union[AgentProfile, _Mapping]] = ...) -> None: ...

class CreateAgencyRequest(_message.Message):
    __slots__ = ("agency",)
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    agency: Agency
    def __init__(self, agency: _Optional[_Union[Agency, _Mapping]] = ...) -> None: ...

class CreateAgencyResponse(_message.Message):
    __slots__ = ("agency",)
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    agency: Agency
    def __init__(self, agency: _Optional[_Union[Agency, _Mapping]] = ...) -> None: ...

class GetAgencyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAgencyResponse(_message.Message):
    __slots__ = ("agency",)
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    agency: Agency
    def __init__(self, agency: _Optional[_Union[Agency, _Mapping]] = ...) -> None: ...

class CreateAgencyMemberRequest(_message.Message):
    __slots__ = ("parent", "member")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    member: AgencyMember
    def __init__(self, parent: _Optional[str] = ..., member: _Optional[_Union[AgencyMember, _Mapping]] = ...) -> None: ...

class CreateAgencyMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: AgencyMember
    def __init__(self, member: _Optional[_Union[AgencyMember, _Mapping]] = ...) -> None: ...

class ListAgencyMembersRequest(_message.Message):
    __slots__ = ("parent", "user")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    user: str
    def __init__(self, parent: _Optional[str] = ..., user: _Optional[str] = ...) -> None: ...

class ListAgencyMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[AgencyMember]
    def __init__(self, members: _Optional[_Iterable[_Union[AgencyMember, _Mapping]]] = ...) -> None: ...

class DeleteAgencyMemberRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteAgencyMemberResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SearchAgentsRequest(_message.Message):
    __slots__ = ("city", "language", "page_size", "page_token")
    CITY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    city: str
    language: str
    page_size: int
    page_token: str
    def __init__(self, city: _Optional[str] = ..., language: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchAgentsResponse(_message.Message):
    __slots__ = ("agents", "next_page_token")
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[AgentDirectoryEntry]
    next_page_token: str
    def __init__(self, agents: _Optional[_Iterable[_Union[AgentDirectoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AgentDirectoryEntry(_message.Message):
    __slots__ = ("user", "display_name", "avatar_media_id", "city", "languages", "verification_status")
    USER_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    user: str
    display_name: str
    avatar_media_id: str
    city: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    verification_status: VerificationStatus
    def __init__(self, user: _Optional[str] = ..., display_name: _Optional[str] = ..., avatar_media_id: _Optional[str] = ..., city: _Optional[str] = ..., languages: _Optional[_Iterable[str]] = ..., verification_status: _Optional[_Union[VerificationStatus, str]] = ...) -> None: ...
