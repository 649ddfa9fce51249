"""One server per port: the listening sockets, bound only when no other server serves the port.

The worker processes each listen on a socket of their own with SO_REUSEPORT (the kernel spreads connections
over them evenly), which would let a second server on the same port bind too and silently take part of the
traffic. So the server first claims the port: it holds a Unix socket bound to a name in Linux's abstract
namespace made of the address (no file to leave behind; released by the kernel when the process ends, however
it ends; private to the network namespace, as the port is) and checks that nothing else listens there
by binding a probe without SO_REUSEPORT. Elsewhere than Linux the probe alone guards the port.
"""

from __future__ import annotations

import socket
import sys


class PortInUse(OSError):
    """Another server already listens on the address."""


def claim_port(host: str, port: int) -> socket.socket | None:
    """Hold the claim on host:port for as long as the returned socket stays open (None for port 0)."""
    if port == 0:
        return None
    claim: socket.socket | None = None
    if sys.platform.startswith("linux"):
        claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            claim.bind(f"\0python-container-server:{host}:{port}")
        except OSError:
            claim.close()
            raise PortInUse(f"{host}:{port} is already served by another of these servers") from None
    try:
        _probe(host, port)
    except BaseException:
        if claim is not None:
            claim.close()
        raise
    return claim


def listening_socket(host: str, port: int, backlog: int, reuse_port: bool) -> socket.socket:
    """A socket listening on host:port, inheritable by the worker processes."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _probe(host: str, port: int) -> None:
    """Raise PortInUse if any socket listens on host:port (a bind without SO_REUSEPORT then fails)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed connection's TIME_WAIT is no user
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(f"{host}:{port} is already in use ({error.strerror})") from None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
