import os
import socket

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFLINE = os.path.join(ROOT, "tests", "offline")

# Every Jupyter kernel that nbval and papermill start inherits this environment, so the
# notebooks run with outgoing connections blocked (tests/offline/sitecustomize.py).
os.environ["PYTHONPATH"] = os.pathsep.join(
    [OFFLINE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing in the test suite may reach the network: a connection attempt fails the test.

    Loopback stays open (Jupyter kernels talk to papermill over 127.0.0.1).
    """
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")
                                      or self.family == socket.AF_UNIX):
            return real_connect(self, address)
        raise RuntimeError(f"test tried to reach the network: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
