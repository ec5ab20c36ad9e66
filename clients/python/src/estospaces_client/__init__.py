"""EstoSpaces client for Python.

The messages and stubs are generated from the repository's proto/ into the ``estospaces``
package (``estospaces.<domain>.v1.<file>_pb2`` and ``..._pb2_grpc``). This module adds what every
caller writes otherwise: a channel to the gateway from its URL, and the access token as call
metadata.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

import grpc

__all__ = ["channel", "bearer", "BearerToken"]

TokenSource = Union[str, Callable[[], Optional[str]]]


def bearer(token: str) -> Sequence[Tuple[str, str]]:
    """Call metadata carrying ``token``: ``stub.GetBooking(request, metadata=bearer(token))``."""
    return (("authorization", f"Bearer {token}"),)


class BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                  grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call on a channel (none while the token,
    or what the function returns, is empty). Calls that set their own ``authorization`` keep it."""

    def __init__(self, token: TokenSource):
        self._token = token

    def _details(self, details):
        token = self._token() if callable(self._token) else self._token
        metadata = list(details.metadata or ())
        if token and not any(key == "authorization" for key, _ in metadata):
            metadata.append(("authorization", f"Bearer {token}"))
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._details(details), requests)


def channel(address: str, token: Optional[TokenSource] = None,
            credentials: Optional[grpc.ChannelCredentials] = None) -> grpc.Channel:
    """A gRPC channel to the gateway.

    ``address`` is ``http://host:port`` (cleartext HTTP/2), ``https://host[:port]`` (TLS, the
    system's roots unless ``credentials`` says otherwise) or a plain ``host:port`` (cleartext).
    With ``token``, every call carries it (see :class:`BearerToken`).
    """
    target, secure = address, credentials is not None
    if "://" in address:
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme in {address!r}: use http:// or https://")
        secure = secure or parts.scheme == "https"
        target = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if secure:
        result = grpc.secure_channel(target, credentials or grpc.ssl_channel_credentials())
    else:
        result = grpc.insecure_channel(target)
    if token is not None:
        result = grpc.intercept_channel(result, BearerToken(token))
    return result
