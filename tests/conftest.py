import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFLINE = os.path.join(ROOT, "tests", "offline")

# No test may reach the network.  tests/offline/sitecustomize.py refuses every non-loopback
# connection: loaded here for the test process itself, and put on PYTHONPATH so that every
# Jupyter kernel nbval and papermill start (and so every notebook) runs under it too.
_blocker = os.path.join(OFFLINE, "sitecustomize.py")
_spec = importlib.util.spec_from_file_location("ganlib_offline", _blocker)
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [OFFLINE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

# The benchmark scripts (benchmarks/*.py) import one another (sweep.py); the tests import them by name.
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
