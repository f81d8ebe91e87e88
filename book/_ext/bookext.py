"""Local Sphinx extension for the book.

1. Offline math: copies MathJax 3 (installed by ``npm ci`` into
   ``node_modules/mathjax/es5``) into ``_static/mathjax`` of the built site;
   ``_config.yml`` points ``mathjax_path`` at it.  A missing install fails the
   build with the command that fixes it.
2. Chinese quotes: copies ``book/_ext/fonts`` (a subset of Noto Sans CJK SC with the glyphs the
   pages use, its licence and ``cjk.css``) into ``_static/fonts`` and links ``cjk.css`` from
   every page, so the quotes render on a machine without a CJK font.
3. Code boxes: ``css/book.css`` (copied into ``_static``) sets the monospace size at which a
   code or output box holds 88 characters.
4. The ``claims-index`` directive renders ``book/claims.yml`` as a table whose
   "checked in" column links to the labelled cell that asserts each claim.
   A label that does not exist is a broken reference, which fails a ``-W`` build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

VERDICTS = {
    "holds": "**holds**",
    "holds-with-correction": "**holds with correction**",
    "fails": "**fails**",
}


def _mathjax_source(app: Sphinx) -> Path:
    return Path(app.confdir) / "node_modules" / "mathjax" / "es5"


def check_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if not (_mathjax_source(app) / "tex-chtml.js").is_file():
        raise ExtensionError(
            f"MathJax is not installed at {_mathjax_source(app)}: run `npm ci` in the "
            "repository root (or `make book`, which does it)")


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "tex-chtml.js").is_file():
        shutil.copytree(_mathjax_source(app), target, dirs_exist_ok=True)


FONTS = Path(__file__).resolve().parent / "fonts"
CSS = Path(__file__).resolve().parent / "css" / "book.css"     # the book's own styles


def copy_fonts(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("noto-sans-sc-subset.woff", "cjk.css", "OFL.txt"):
        shutil.copy2(FONTS / name, target / name)
    shutil.copy2(CSS, Path(app.outdir) / "_static" / CSS.name)


def load_claims(path: Path) -> list[dict]:
    """The entries of ``claims.yml``, each checked for the fields the index needs."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ExtensionError(f"{path}: expected a list of claims")
    for entry in entries:
        missing = {"id", "claim", "verdict", "where"} - set(entry)
        if missing:
            raise ExtensionError(f"{path}: claim {entry.get('id', '?')} lacks {sorted(missing)}")
        if entry["verdict"] not in VERDICTS:
            raise ExtensionError(f"{path}: claim {entry['id']} has verdict {entry['verdict']!r}; "
                                 f"valid: {', '.join(VERDICTS)}")
        if entry["verdict"] != "holds" and not entry.get("correction"):
            raise ExtensionError(f"{path}: claim {entry['id']} ({entry['verdict']}) needs a "
                                 "`correction` saying the corrected statement or the counterexample")
    return entries


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


class ClaimsIndex(SphinxDirective):
    """``{claims-index} path/to/claims.yml``: the claims ledger as a table."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        _, abspath = self.env.relfn2path(self.arguments[0], self.env.docname)
        path = Path(abspath)
        self.env.note_dependency(str(path))
        entries = load_claims(path)
        lines = ["| ID | Claim (as the sources put it) | Verdict | Checked in |",
                 "|---|---|---|---|"]
        for e in entries:
            verdict = VERDICTS[e["verdict"]]
            for extra in ("correction", "note"):
                if e.get(extra):
                    verdict += f"<br>{_cell(e[extra])}"
            lines.append(f"| **{e['id']}** | {_cell(e['claim'])} | {verdict} | "
                         f"{{ref}}`{e['where']['cell']}` |")
        counts = {v: sum(e["verdict"] == v for e in entries) for v in VERDICTS}
        lines += ["", f"{len(entries)} claims: " + ", ".join(
            f"{n} {v.replace('-', ' ')}" for v, n in counts.items()) + "."]
        container = nodes.container(classes=["claims-index"])
        self.state.nested_parse(StringList(lines, source=str(path)), self.content_offset, container)
        return [container]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", copy_fonts)
    app.add_css_file("fonts/cjk.css")
    app.add_css_file(CSS.name)
    app.add_directive("claims-index", ClaimsIndex)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
