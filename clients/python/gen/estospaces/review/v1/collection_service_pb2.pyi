from estospaces.api.v1 import annotations_pb2 as _annotations_pb2
from estospaces.review.v1 import collection_pb2 as _collection_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateWishlistRequest(_message.Message):
    __slots__ = ("parent", "wishlist")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    parent: str
    wishlist: _collection_pb2.Wishlist
    def __init__(self, parent: _Optional[str] = ..., wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class CreateWishlistResponse(_message.Message):
    __slots__ = ("wishlist",)
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class ListWishlistsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWishlistsResponse(_message.Message):
    __slots__ = ("wishlists", "next_page_token")
    WISHLISTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    wishlists: _containers.RepeatedCompositeFieldContainer[_collection_pb2.Wishlist]
    next_page_token: str
    def __init__(self, wishlists: _Optional[_Iterable[_Union[_collection_pb2.Wishlist, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetWishlistRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetWishlistResponse(_message.Message):
    __slots__ = ("wishlist",)
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class UpdateWishlistRequest(_message.Message):
    __slots__ = ("wishlist", "update_mask")
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateWishlistResponse(_message.Message):
    __slots__ = ("wishlist",)
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class DeleteWishlistRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteWishlistResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddWishlistListingRequest(_message.Message):
    __slots__ = ("name", "listing")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    name: str
    listing: str
    def __init__(self, name: _Optional[str] = ..., listing: _Optional[str] = ...) -> None: ...

class AddWishlistListingResponse(_message.Message):
    __slots__ = ("wishlist",)
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class RemoveWishlistListingRequest(_message.Message):
    __slots__ = ("name", "listing")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    name: str
    listing: str
    def __init__(self, name: _Optional[str] = ..., listing: _Optional[str] = ...) -> None: ...

class RemoveWishlistListingResponse(_message.Message):
    __slots__ = ("wishlist",)
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class GetSharedWishlistRequest(_message.Message):
    __slots__ = ("share_token",)
    SHARE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    share_token: str
    def __init__(self, share_token: _Optional[str] = ...) -> None: ...

class GetSharedWishlistResponse(_message.Message):
    __slots__ = ("wishlist",)
    WISHLIST_FIELD_NUMBER: _ClassVar[int]
    wishlist: _collection_pb2.Wishlist
    def __init__(self, wishlist: _Optional[_Union[_collection_pb2.Wishlist, _Mapping]] = ...) -> None: ...

class GetListingSaveCountRequest(_message.Message):
    __slots__ = ("listing",)
    LISTING_FIELD_NUMBER: _ClassVar[int]
    listing: str
    def __init__(self, listing: _Optional[str] = ...) -> None: ...

class GetListingSaveCountResponse(_message.Message):
    __slots__ = ("save_count",)
    SAVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    save_count: int
    def __init__(self, save_count: _Optional[int] = ...) -> None: ...

class CreateComparisonRequest(_message.Message):
    __slots__ = ("parent", "comparison")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    parent: str
    comparison: _collection_pb2.Comparison
    def __init__(self, parent: _Optional[str] = ..., comparison: _Optional[_Union[_collection_pb2.Comparison, _Mapping]] = ...) -> None: ...

class CreateComparisonResponse(_message.Message):
    __slots__ = ("comparison",)
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    comparison: _collection_pb2.Comparison
    def __init__(self, comparison: _Optional[_Union[_collection_pb2.Comparison, _Mapping]] = ...) -> None: ...

class ListComparisonsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListComparisonsResponse(_message.Message):
    __slots__ = ("comparisons", "next_page_token")
    COMPARISONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    comparisons: _containers.RepeatedCompositeFieldContainer[_collection_pb2.Comparison]
    next_page_token: str
    def __init__(self, comparisons: _Optional[_Iterable[_Union[_collection_pb2.Comparison, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetComparisonRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetComparisonResponse(_message.Message):
    __slots__ = ("comparison", "listings")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    comparison: _collection_pb2.Comparison
    listings: _containers.RepeatedCompositeFieldContainer[_collection_pb2.ComparedListing]
    def __init__(self, comparison: _Optional[_Union[_collection_pb2.Comparison, _Mapping]] = ..., listings: _Optional[_Iterable[_Union[_collection_pb2.ComparedListing, _Mapping]]] = ...) -> None: ...

class UpdateComparisonRequest(_message.Message):
    __slots__ = ("comparison", "update_mask")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    comparison: _collection_pb2.Comparison
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, comparison: _Optional[_Union[_collection_pb2.Comparison, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateComparisonResponse(_message.Message):
    __slots__ = ("comparison",)
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    comparison: _collection_pb2.Comparison
    def __init__(self, comparison: _Optional[_Union[_collection_pb2.Comparison, _Mapping]] = ...) -> None: ...

class DeleteComparisonRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteComparisonResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSharedComparisonRequest(_message.Message):
    __slots__ = ("share_token",)
    SHARE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    share_token: str
    def __init__(self, share_token: _Optional[str] = ...) -> None: ...

class GetSharedComparisonResponse(_message.Message):
    __slots__ = ("comparison", "listings")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    comparison: _collection_pb2.Comparison
    listings: _containers.RepeatedCompositeFieldContainer[_collection_pb2.ComparedListing]
    def __init__(self, comparison: _Optional[_Union[_collection_pb2.Comparison, _Mapping]] = ..., listings: _Optional[_Iterable[_Union[_collection_pb2.ComparedListing, _Mapping]]] = ...) -> None: ...
