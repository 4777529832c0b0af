"""The SSRF guard: where a webhook may point, checked when it is made and again, with a fresh
DNS lookup, on every attempt; and connections pinned to the address that was checked.

A URL must be http(s) without credentials. Unless ``[webhooks] allow_private = true``, a host
is refused when any of its addresses is not a global unicast address: loopback, private,
link-local, multicast, reserved, unspecified, shared (CGNAT) or documentation ranges, and IPv6
forms that embed such an IPv4 address. A literal address (in any notation ``inet_aton``
accepts, such as ``2130706433``) or ``localhost`` is refused when the webhook is made; a name
is looked up only when sending, since what it resolves to can change. The connection then goes
to the checked address itself (no second lookup a rebinding DNS server could answer
differently), with the name in the Host header and, for https, in SNI and the certificate check.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
SCHEMES = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(ValueError):
    """A URL the guard refuses; ``code`` says whether it is malformed or points inward."""

    def __init__(self, message: str, code: str = "url_refused") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the checked address, and the name it was checked for."""

    scheme: str
    host: str  # ASCII (IDNA) name or literal address, for Host, SNI and the certificate
    port: int
    host_header: str
    path: str  # the request target: path and query
    address: str


def _split(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"the URL must have at most {MAX_URL_LENGTH} characters", "invalid_url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise Refused("the URL must not contain spaces or control characters", "invalid_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise Refused(f"the URL is not valid: {exc}", "invalid_url") from None
    if parts.scheme.lower() not in SCHEMES:
        raise Refused("the URL must start with http:// or https://", "invalid_url")
    if not parts.hostname:
        raise Refused("the URL has no host", "invalid_url")
    if parts.username is not None or parts.password is not None:
        raise Refused("the URL must not contain a user name or password", "invalid_url")
    return parts


def _ascii_host(parts: SplitResult) -> str:
    host = parts.hostname or ""
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise Refused(f"the host {host!r} is not a valid domain name", "invalid_url") from None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally (IPv6, or IPv4 in any notation the resolver takes)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _embedded(ip: IPAddress) -> IPAddress | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), which is what is reached."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return None


def refused_address(ip: IPAddress) -> bool:
    """Whether the guard refuses this address: anything but a global unicast address."""
    inner = _embedded(ip)
    if inner is not None and refused_address(inner):
        return True
    return ip.is_multicast or not ip.is_global


def _is_localhost(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def check_url(url: str, allow_private: bool) -> str:
    """The URL if a webhook may be made with it; Refused otherwise (without a DNS lookup)."""
    parts = _split(url)
    host = _ascii_host(parts)
    if allow_private:
        return url
    address = literal_address(host)
    if (address is not None and refused_address(address)) or _is_localhost(host):
        raise Refused(
            f"the host {host} is a loopback, private, link-local or reserved address; webhooks "
            "may not point there unless [webhooks] allow_private = true"
        )
    return url


def lookup(host: str, port: int) -> list[str]:
    """Every address the host resolves to (tests replace this to fake a DNS answer)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve(url: str, allow_private: bool) -> Target:
    """Check the URL and look its host up now; Refused if any address it has is refused."""
    parts = _split(url)
    host = _ascii_host(parts)
    scheme = parts.scheme.lower()
    port = parts.port or SCHEMES[scheme]
    try:
        addresses = lookup(host, port)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}", "unresolvable") from None
    if not addresses:
        raise Refused(f"{host} has no address", "unresolvable")
    if not allow_private:
        for address in addresses:
            if refused_address(ipaddress.ip_address(address.split("%")[0])):
                raise Refused(
                    f"{host} resolves to {address}, a loopback, private, link-local or "
                    "reserved address (allowed only with [webhooks] allow_private = true)"
                )
    netloc = parts.netloc.rpartition("@")[2]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, _ascii_netloc(netloc, host), path, addresses[0])


def _ascii_netloc(netloc: str, host: str) -> str:
    """The Host header: the netloc with the host in its ASCII form."""
    if netloc.isascii():
        return netloc
    port = netloc.rpartition(":")[2] if netloc.rfind(":") > netloc.rfind("]") else ""
    return f"{host}:{port}" if port else host


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a fixed address, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection((self.target.address, self.target.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(_PinnedHTTP):
    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target, timeout)
        self.context = context

    def connect(self) -> None:
        super().connect()
        # the name, not the address, is what the certificate must be for
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.target.host)


def tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs (tests replace this to trust their own)."""
    return ssl.create_default_context()


def connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    """An unopened connection to the target's checked address."""
    if target.scheme == "https":
        return _PinnedHTTPS(target, timeout, tls_context())
    return _PinnedHTTP(target, timeout)
