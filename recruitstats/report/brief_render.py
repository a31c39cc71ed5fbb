"""Lay out a :class:`~recruitstats.report.brief.Brief` as HTML, PDF and DOCX (A4).

Renderers only place what the Brief holds: they never compute or format a number.

- HTML: one self-contained file (CSS inline, figures as base64 PNG, the subset of
  Noto Sans CJK SC the page uses as a WOFF2 data URI, no external link); each number
  is a ``<span class="num" data-key=... data-value=...>``.
- PDF: typst (the ``typst`` wheel) with the Noto Sans CJK SC font file as its only
  font, so the font is embedded and the text extracts as Chinese. Every text run
  is a typst string literal, so no character of the brief is read as markup.
- DOCX: python-docx, with the East Asian font (``w:eastAsia``) set on every style used.
"""

from __future__ import annotations

import base64
import html
import io
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from recruitstats.report.brief import Brief, Bullets, Figure, Num, Para, Subheading, Table

__all__ = ["render_html", "render_pdf", "render_docx", "typst_source", "write", "write_tables_xlsx", "font_subset",
           "EMBEDDED_FAMILY"]

#: Family name of the font subset embedded in the HTML (the glyphs of the page only).
EMBEDDED_FAMILY = "Noto Sans CJK SC Embedded"
FALLBACK_FAMILY = "DejaVu Sans Embedded"

_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Sans CJK SC Embedded", "DejaVu Sans Embedded", "Noto Sans CJK SC", "Source Han Sans SC",
       "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 178mm; margin: 0 auto; color: #1a1a1a; line-height: 1.55; font-size: 10.5pt; }
h1 { font-size: 18pt; margin-bottom: 2pt; } h3 { font-size: 11pt; margin: 10pt 0 2pt; }
h2 { font-size: 13pt; border-bottom: 1px solid #0072B2;
     color: #0072B2; margin-top: 18pt; }
.subtitle { color: #555; } .warn { color: #D55E00; font-weight: bold; }
table { border-collapse: collapse; margin: 6pt 0; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 2pt 5pt; text-align: left; }
th { background: #eef4fa; } caption { caption-side: top; text-align: left; font-weight: bold; padding: 3pt 0; }
figure { margin: 8pt 0; } figure img { max-width: 100%; } figcaption { font-size: 9pt; color: #333; }
.note { font-size: 8.5pt; color: #555; } footer { margin-top: 18pt; font-size: 8pt; color: #555;
        border-top: 1px solid #bbb; padding-top: 4pt; word-break: break-all; }
"""


# --- HTML ---------------------------------------------------------------------------------

def _html_runs(runs) -> str:
    out = []
    for r in runs:
        if isinstance(r, Num):
            out.append(f'<span class="num" data-key="{html.escape(r.key)}" data-value="{r.value!r}">'
                       f"{html.escape(r.text)}</span>")
        elif isinstance(r, Para):
            out.append(_html_runs(r.runs))
        else:
            out.append(html.escape(str(r)))
    return "".join(out)


def _html_block(block) -> str:
    if isinstance(block, Subheading):
        return f"<h3>{html.escape(block.text)}</h3>"
    if isinstance(block, Para):
        return f"<p>{_html_runs(block.runs)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_html_runs(p.runs)}</li>" for p in block.items) + "</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
        body = "".join("<tr>" + "".join(f"<td>{_html_runs([c])}</td>" for c in row) + "</tr>" for row in block.rows)
        note = f'<p class="note">{html.escape(block.note)}</p>' if block.note else ""
        return (f"<table><caption>{html.escape(block.caption)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>{note}")
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        cap = html.escape(block.caption)
        return f'<figure><img alt="{cap}" src="data:image/png;base64,{data}"><figcaption>{cap}</figcaption></figure>'
    raise TypeError(f"unknown block {type(block).__name__}")


@lru_cache(maxsize=8)  # the same page rendered again (tests, run after brief) costs nothing
def font_subset(chars: str, path: str | Path | None = None) -> tuple[bytes, str, frozenset[str]]:
    """A font cut down to the glyphs of ``chars``: (font bytes, format, the characters it covers).

    ``path`` defaults to Noto Sans CJK SC. WOFF2 when the ``brotli`` package is there
    (about 85 kB for a Chinese brief), else OpenType (about 120 kB). Hinting is dropped.
    """
    from fontTools import subset

    from recruitstats.report.style import cjk_font_path

    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True  # smaller once compressed
    options.drop_tables += ["FFTM"]  # FontForge's timestamps (DejaVu): nothing to subset, no warning
    try:
        import brotli  # noqa: F401  (fontTools needs it for WOFF2)

        options.flavor = "woff2"
    except ImportError:
        options.flavor = None
    font = subset.load_font(str(path or cjk_font_path()), options, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    covered = frozenset(chr(c) for c in font.getBestCmap())
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    kind = options.flavor or ("truetype" if "glyf" in font else "opentype")
    return buf.getvalue(), kind, covered


def _face(family: str, data: bytes, kind: str) -> str:
    mime = {"woff2": "font/woff2", "opentype": "font/otf", "truetype": "font/ttf"}[kind]
    return (f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: 400; '
            f'src: url(data:{mime};base64,{base64.b64encode(data).decode("ascii")}) format("{kind}"); }}')


def _font_face(brief: Brief) -> str:
    """@font-face rules embedding the glyphs the page needs, so Chinese renders offline without a CJK font.

    Noto Sans CJK SC gives nearly every glyph; the few it lacks (the ✗ of the scorecard)
    come from DejaVu Sans, which ships with matplotlib.
    """
    import string

    import matplotlib

    chars = set(brief.plain_text()) | set(string.printable.strip()) | {" "}
    data, kind, covered = font_subset("".join(sorted(chars)))
    rules = [_face(EMBEDDED_FAMILY, data, kind)]
    rest = {c for c in chars - covered if not c.isspace()}
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    if rest and dejavu.is_file():
        data, kind, covered = font_subset("".join(sorted(rest)), dejavu)
        if covered & rest:
            rules.append(_face(FALLBACK_FAMILY, data, kind))
    return "\n".join(rules)


def render_html(brief: Brief, *, embed_font: bool = True) -> str:
    """The brief as one self-contained HTML page.

    Parameters
    ----------
    brief : the brief.
    embed_font : embed the subset of Noto Sans CJK SC that the page uses (as a data URI),
        so the page shows Chinese on a machine without a CJK font, offline.
    """
    cls = ' class="warn"' if brief.synthetic else ""
    css = (_font_face(brief) + "\n" if embed_font else "") + _CSS
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if brief.lang == "zh" else "en"}"><head><meta charset="utf-8">',
             f"<title>{html.escape(brief.title)}</title><style>{css}</style></head><body>",
             f"<h1{cls}>{html.escape(brief.title)}</h1><p class=\"subtitle\">{html.escape(brief.subtitle)}</p>"]
    for sec in brief.sections:
        parts.append(f"<section><h2>{html.escape(sec.title)}</h2>")
        parts += [_html_block(b) for b in sec.blocks]
        parts.append("</section>")
    parts.append("<footer>" + "<br>".join(html.escape(line) for line in brief.provenance) + "</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- typst / PDF ----------------------------------------------------------------------------

def _lit(s: str) -> str:
    """A typst string literal (shown verbatim: no markup)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def _typ_runs(runs) -> str:
    flat = []
    for r in runs:
        flat.append(_typ_runs(r.runs) if isinstance(r, Para) else "#" + _lit(str(r)))
    return "".join(flat)


def _typ_block(block, images: dict[str, bytes]) -> str:
    if isinstance(block, Subheading):
        return f"=== {_typ_runs([block.text])}\n"
    if isinstance(block, Para):
        return _typ_runs(block.runs) + "\n"
    if isinstance(block, Bullets):
        return "\n".join("- " + _typ_runs(p.runs) for p in block.items) + "\n"
    if isinstance(block, Table):
        cells = [f"table.header({', '.join('[' + _typ_runs([h]) + ']' for h in block.header)})"]
        cells += ["[" + _typ_runs([c]) + "]" for row in block.rows for c in row]
        note = f"#text(size: 8pt)[{_typ_runs([block.note])}]\n" if block.note else ""
        return (f"#figure(caption: [{_typ_runs([block.caption])}], kind: table,\n"
                f"  table(columns: {len(block.header)}, inset: 3pt, stroke: 0.4pt + gray, align: left,\n"
                '    fill: (x, y) => if y == 0 { rgb("#eef4fa") },\n    '
                + ",\n    ".join(cells) + "))\n" + note)
    if isinstance(block, Figure):
        name = f"fig{len(images) + 1}.png"
        images[name] = block.png
        return f'#figure(image("{name}", width: 88%), caption: [{_typ_runs([block.caption])}])\n'
    raise TypeError(f"unknown block {type(block).__name__}")


def typst_source(brief: Brief) -> tuple[str, dict[str, bytes]]:
    """The typst source of the brief and the images it refers to (file name -> PNG)."""
    from recruitstats.report.style import FONT_FAMILY

    images: dict[str, bytes] = {}
    lang = "zh" if brief.lang == "zh" else "en"
    region = ', region: "cn"' if lang == "zh" else ""
    head = _typ_runs([brief.title]) if brief.synthetic else ""
    out = [f'#set page(paper: "a4", margin: (x: 18mm, y: 20mm), numbering: "1",\n'
           '  header: context if counter(page).get().first() > 1 {'
           f' text(size: 8pt, fill: rgb("#D55E00"))[{head}] }})',
           f'#set text(font: {_lit(FONT_FAMILY)}, lang: "{lang}"{region}, size: 10pt)',
           '#set par(justify: false, leading: 0.7em)',
           '#show heading.where(level: 2): set text(fill: rgb("#0072B2"), size: 13pt)',
           '#show heading.where(level: 3): set text(fill: rgb("#0072B2").darken(20%), size: 10.5pt)',
           '#show figure.where(kind: table): set figure.caption(position: top)',
           f"#text(size: 17pt, weight: \"bold\")[{_typ_runs([brief.title])}]\n",
           f"#text(fill: gray.darken(30%))[{_typ_runs([brief.subtitle])}]\n"]
    for sec in brief.sections:
        out.append(f"== {_typ_runs([sec.title])}\n")
        out += [_typ_block(b, images) for b in sec.blocks]
    out.append("#line(length: 100%, stroke: 0.4pt + gray)")
    out.append("#text(size: 7.5pt)[" + " \\\n".join(_typ_runs([line]) for line in brief.provenance) + "]")
    return "\n".join(out) + "\n", images


def render_pdf(brief: Brief) -> bytes:
    """The brief as an A4 PDF (typst), the CJK font embedded."""
    import typst

    from recruitstats.report.style import cjk_font_path

    source, images = typst_source(brief)
    with tempfile.TemporaryDirectory(prefix="recruitstats-brief-") as tmp:
        root = Path(tmp)
        for name, png in images.items():
            (root / name).write_bytes(png)
        (root / "brief.typ").write_text(source, encoding="utf-8")
        # typst maps glyphs to Unicode only for fonts found in a folder (a font file path
        # gives a PDF whose Chinese text cannot be extracted), so give it a folder of one font
        fonts = root / "fonts"
        fonts.mkdir()
        try:
            os.symlink(cjk_font_path(), fonts / cjk_font_path().name)
        except OSError:  # no symlinks (some Windows set-ups)
            shutil.copyfile(cjk_font_path(), fonts / cjk_font_path().name)
        return typst.compile(str(root / "brief.typ"), root=str(root), font_paths=[str(fonts)],
                             ignore_system_fonts=True)


# --- DOCX -------------------------------------------------------------------------------------

def _east_asian(style, font: str) -> None:
    from docx.oxml.ns import qn

    style.font.name = font
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)


def _docx_runs(paragraph, runs) -> None:
    for r in runs:
        if isinstance(r, Para):
            _docx_runs(paragraph, r.runs)
        else:
            paragraph.add_run(str(r))


def _docx_block(doc, block) -> None:
    from docx.shared import Cm, Pt

    if isinstance(block, Subheading):
        doc.add_heading(block.text, level=2)
    elif isinstance(block, Para):
        _docx_runs(doc.add_paragraph(), block.runs)
    elif isinstance(block, Bullets):
        for p in block.items:
            _docx_runs(doc.add_paragraph(style="List Bullet"), p.runs)
    elif isinstance(block, Table):
        doc.add_paragraph(block.caption, style="Caption")
        table = doc.add_table(rows=1 + len(block.rows), cols=len(block.header))
        table.style = "Table Grid"
        for j, h in enumerate(block.header):
            table.cell(0, j).text = h
        for i, row in enumerate(block.rows, start=1):
            for j, c in enumerate(row):
                table.cell(i, j).text = str(c)
        if block.note:
            doc.add_paragraph().add_run(block.note).font.size = Pt(8)
    elif isinstance(block, Figure):
        doc.add_picture(io.BytesIO(block.png), width=Cm(16))
        doc.add_paragraph(block.caption, style="Caption")


def render_docx(brief: Brief) -> bytes:
    """The brief as an A4 Word document, Chinese text in the East Asian font."""
    import docx
    from docx.shared import Mm, Pt, RGBColor

    from recruitstats.report.style import FONT_FAMILY

    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(18)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet", "Caption", "Table Grid"):  # all used
        _east_asian(doc.styles[name], FONT_FAMILY)
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.core_properties.title = brief.title
    doc.core_properties.language = "zh-CN" if brief.lang == "zh" else "en"
    title = doc.add_heading(brief.title, level=0)
    if brief.synthetic:
        for run in title.runs:
            run.font.color.rgb = RGBColor(0xD5, 0x5E, 0x00)
    doc.add_paragraph(brief.subtitle)
    for s in brief.sections:
        doc.add_heading(s.title, level=1)
        for block in s.blocks:
            _docx_block(doc, block)
    foot = doc.add_paragraph()
    for line in brief.provenance:
        foot.add_run(line + "\n").font.size = Pt(7.5)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- files ----------------------------------------------------------------------------------------

def write(brief: Brief, path: str | Path) -> Path:
    """Write the brief in the format of the path's suffix (.html, .pdf, .docx), atomically."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind == "html":
        data = render_html(brief).encode("utf-8")
    elif kind == "pdf":
        data = render_pdf(brief)
    elif kind == "docx":
        data = render_docx(brief)
    else:
        raise ValueError(f"unknown brief format {path.suffix!r}")
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def write_tables_xlsx(inputs, path: str | Path, *, lang: str = "zh") -> Path:
    """The brief's tables in one workbook for Excel/WPS, through the export helper's ``write_xlsx``.

    Sheets: the sign-up levers' numbers (unrounded; no count of people), the
    scorecard and its funnel (every district and cycle) and the league table, all
    already through disclosure control (hidden cells marked ``*``).
    """
    from recruitstats.report.export import write_xlsx
    from recruitstats.report.style import text

    from recruitstats.report.brief_sections import lever_frame

    level = f"{float(getattr(inputs.signup, 'level', 0.95)) * 100:g}"
    names = {"label": "col.lever", "coef": "col.coef", "ci_low": "col.coef_low", "ci_high": "col.coef_high",
             "elasticity": "col.elasticity", "elasticity_low": "col.el_low", "elasticity_high": "col.el_high",
             "additional": "col.add_applicants", "additional_low": "col.add_low", "additional_high": "col.add_high",
             "cost": "col.cost_applicant", "cost_low": "col.cost_low", "cost_high": "col.cost_high"}
    levers = lever_frame(inputs, lang).drop(columns="lever")
    levers = levers.rename(columns={k: text(v, lang, level=level) for k, v in names.items()})
    tables = {text("sheet.levers", lang): levers}
    if inputs.scorecard is not None:
        tables[text("sheet.scorecard", lang)] = inputs.scorecard.table(lang)
        tables[text("sheet.funnel", lang)] = inputs.scorecard.funnel_table(lang)
    if inputs.league is not None:
        tables[text("sheet.league", lang)] = inputs.league.formatted(lang)
    return write_xlsx(tables, path, lang=lang, synthetic=inputs.synthetic, threshold=inputs.threshold)
