"""`--dashboard [HOST:]PORT`: where the dashboard listens (127.0.0.1 unless a host is given)."""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

DEFAULT_HOST = "127.0.0.1"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


class ListenAddress(NamedTuple):
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_listen_address(text: str) -> ListenAddress:
    """`PORT`, `HOST:PORT` or `[IPv6]:PORT`; the port 1..65535, the host an IP address or a DNS name.
    Raises ValueError with what is wrong."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1 : end + 2] != ":":
            raise ValueError(f"expected [IPv6]:PORT, got {text!r}")
        host, port_text = text[1:end], text[end + 2 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
    elif ":" in text:
        host, port_text = text.rsplit(":", 1)
        if not host:
            raise ValueError(f"empty host in {text!r}")
        if not _valid_host(host):
            raise ValueError(f"{host!r} is neither an IPv4 address nor a host name")
    else:
        host, port_text = DEFAULT_HOST, text
    if not port_text.isdigit():
        raise ValueError(f"port must be a number, got {port_text!r}")
    port = int(port_text)
    if not 1 <= port <= 65_535:
        raise ValueError(f"port must be 1..65535, got {port}")
    return ListenAddress(host, port)


def _valid_host(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+", host):
        return False  # looks like an IPv4 address but is not one
    return bool(_HOSTNAME.match(host))
