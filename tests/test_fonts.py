"""The Chinese quotes render everywhere: the book ships a subset of Noto Sans CJK SC
(book/_ext/fonts), and the subset must hold every CJK character the pages use."""

import importlib.util
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "book" / "_ext" / "fonts"


def _make_subset():
    spec = importlib.util.spec_from_file_location("make_subset", FONTS / "make_subset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_font_covers_every_cjk_character_of_the_book():
    used = _make_subset().cjk_characters(ROOT)
    assert "懂" in used and "判" in used          # LSGAN's "(没搞懂)" and T1's quote
    cmap = TTFont(FONTS / "noto-sans-sc-subset.woff").getBestCmap()
    missing = sorted(c for c in used if ord(c) not in cmap)
    assert not missing, (f"characters {''.join(missing)} are not in the shipped font: rerun "
                         "python book/_ext/fonts/make_subset.py (its docstring says where the "
                         "source font comes from)")


def test_every_page_links_the_font_and_the_font_is_licensed():
    css = (FONTS / "cjk.css").read_text()
    assert 'url("noto-sans-sc-subset.woff")' in css and "unicode-range" in css
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text()
    ext = (ROOT / "book" / "_ext" / "bookext.py").read_text()
    assert 'app.add_css_file("fonts/cjk.css")' in ext
