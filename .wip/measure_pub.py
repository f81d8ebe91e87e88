"""Measure overflowing code/output/table boxes of pages of a built book: python measure_pub.py SITE PAGE..."""
import subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, "/work/main/tests")
import test_rendered as tr
site = Path(sys.argv[1]); html = site / "_build" / "html"
flags = tr.chromium_flags(Path(tempfile.mkdtemp()))
for page in sys.argv[2:]:
    probe = html / f"{page}.__measured.html"
    probe.write_text((html / f"{page}.html").read_text(encoding="utf-8").replace("</body>", tr.MEASURE + "</body>"), encoding="utf-8")
    dom = subprocess.run([tr.CHROMIUM, *flags, "--window-size=1300,2400", "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120).stdout
    probe.unlink()
    print(page, tr.overflowing(dom))
