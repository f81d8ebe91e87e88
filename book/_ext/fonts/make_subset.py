"""Make noto-sans-sc-subset.woff: the glyphs of Noto Sans CJK SC that the book's pages use.

    python book/_ext/fonts/make_subset.py /path/to/NotoSansCJK-Regular.ttc

The source is Noto Sans CJK SC (SIL Open Font License 1.1, OFL.txt here), the fourth font
(index 2) of NotoSansCJK-Regular.ttc as Debian's fonts-noto-cjk package ships it
(``apt-get download fonts-noto-cjk``).  The subset holds every CJK character and CJK
punctuation mark found in book/ and notebooks/ (``cjk_characters``); tests/test_rendered.py
checks that it still covers them, so a new Chinese quote fails the tests until this is rerun.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FONT = Path(__file__).resolve().parent / "noto-sans-sc-subset.woff"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def cjk_characters(root: Path = ROOT) -> set[str]:
    """Every CJK character and CJK punctuation mark in the book's sources."""
    chars: set[str] = set()
    for pattern in ("book/*.ipynb", "book/*.md", "notebooks/*.ipynb"):
        for path in root.glob(pattern):
            chars |= set(CJK.findall(path.read_text(encoding="utf-8")))
    return chars


def main(source: str) -> None:
    from fontTools import subset

    chars = cjk_characters()
    options = subset.Options()
    options.flavor = "woff"
    options.font_number = 2                  # Noto Sans CJK SC in the collection
    options.name_IDs = ["*"]                 # keep the font's names and its licence notice
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    subset.save_font(font, str(FONT), options)
    print(f"{FONT.name}: {len(chars)} characters, {FONT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
