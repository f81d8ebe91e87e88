"""Loaded by every Python started with this folder on PYTHONPATH (the tests' Jupyter kernels,
and the book build's): outgoing network connections fail with a clear error.

Loopback and Unix sockets stay open — a Jupyter kernel talks to its client over 127.0.0.1.
A notebook that needs the network therefore fails its test and the book build.
"""

import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(sock, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1"))


def _blocked(address):
    return ConnectionRefusedError(
        f"network access is blocked here (tried {address!r}): the book and its tests must "
        "run offline")


def connect(self, address):
    if not _allowed(self, address):
        raise _blocked(address)
    return _connect(self, address)


def connect_ex(self, address):
    if not _allowed(self, address):
        raise _blocked(address)
    return _connect_ex(self, address)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
