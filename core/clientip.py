"""The client's address: the one function every rate limit, lockout and log asks.

Behind a reverse proxy REMOTE_ADDR is the proxy's address; the proxy passes the client's in
X-Forwarded-For, each proxy appending the address it received the request from. Anyone can send
that header, so it is read only when the request came from a trusted proxy (TRUSTED_PROXIES,
addresses or networks), and then from the right: the first address that is not itself a trusted
proxy is the client. Everything left of it was written by the client and proves nothing.

A request that claims a client address without coming through a trusted proxy is counted as
its own REMOTE_ADDR.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client reached over an IPv6 socket is the IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent this request, as far as it can be trusted."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    peer = _parse(remote)
    if peer is None:
        return remote
    if not _trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Several headers arrive joined with commas; the rightmost hop is the nearest.
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            # Garbage where a proxy of ours would have written an address: stop trusting the
            # chain at the last address we could read.
            break
        if not _trusted(address):
            return str(address)
        peer = address
    return str(peer)
