"""The client's address behind the balancer.

HAProxy (or nginx) terminates HTTPS and forwards to the app servers, so REMOTE_ADDR is the
balancer's address for every request: the login lockout (django-axes, per account and
address) would then lock every family out together after five failures. The balancer adds
the client's address to `X-Forwarded-For`; that header is believed only when the request
comes from an address listed in the setting `TRUSTED_PROXIES` (addresses or networks), and
only for the hops those proxies appended (walked from the right, so a client cannot choose
its address by sending the header itself).

`ForwardedClientMiddleware` runs first and puts the client's address in REMOTE_ADDR, so
everything after it (lockout, rate limits, audit, logs) sees the real client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _parse(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_trusted(address: str | None) -> bool:
    parsed = _parse(address or "")
    if parsed is None:
        return False
    return any(parsed in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip_from_meta(meta) -> str | None:
    """The client's address: REMOTE_ADDR, or, from a trusted proxy, the right-most untrusted
    address of X-Forwarded-For."""
    remote = meta.get("REMOTE_ADDR")
    if not settings.TRUSTED_PROXIES or not is_trusted(remote):
        return remote
    forwarded = [item for item in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if item.strip()]
    for hop in reversed(forwarded):
        parsed = _parse(hop)
        if parsed is None:
            return remote  # a malformed hop: believe no further than the proxy itself
        if not is_trusted(str(parsed)):
            return str(parsed)
    return str(_parse(forwarded[0])) if forwarded else remote


def client_ip(request) -> str | None:
    """The client's address of a request (also django-axes' AXES_CLIENT_IP_CALLABLE)."""
    if request is None:
        return None
    return request.META.get("RIBAMBELLE_CLIENT_IP") or client_ip_from_meta(request.META)


class ForwardedClientMiddleware:
    """First middleware: REMOTE_ADDR becomes the client's address (the proxy's is kept in
    RIBAMBELLE_PROXY_ADDR). A request that did not come through a trusted proxy has its
    X-Forwarded-* headers removed, so it cannot claim HTTPS or another address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        remote = meta.get("REMOTE_ADDR")
        if settings.TRUSTED_PROXIES:
            if is_trusted(remote):
                client = client_ip_from_meta(meta)
                meta["RIBAMBELLE_PROXY_ADDR"] = remote
                meta["REMOTE_ADDR"] = client
            else:
                for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST"):
                    meta.pop(header, None)
        meta["RIBAMBELLE_CLIENT_IP"] = meta.get("REMOTE_ADDR")
        return self.get_response(request)
