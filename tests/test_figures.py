"""Figures in the house style: bilingual labels from the lever registry, an embedded CJK font, no tofu."""

from __future__ import annotations

import io
import string
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from recruitstats.errors import InputError  # noqa: E402
from recruitstats.report.figures import coef_plot, dose_response, funnel_plot, rank_plot  # noqa: E402
from recruitstats.report.style import (  # noqa: E402
    FONT_FAMILY, PALETTE, TEXTS, cjk_font_path, house_rc, house_style, text)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv"


@pytest.fixture(scope="module")
def panel():
    from recruitstats.io import load_panel

    return load_panel(SAMPLE)


@pytest.fixture(scope="module")
def signup(panel):
    from recruitstats.models.rates import fit_signup

    return fit_signup(panel)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return [t for t in out if t.strip()]


def _cmap() -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(cjk_font_path()), lazy=True).getBestCmap())


def test_font_ships_in_a_wheel_is_open_and_not_simhei():
    path = cjk_font_path()
    assert path.is_file() and "simhei" not in path.name.lower()
    assert "NotoSansCJK" in path.name
    rc = house_rc()
    assert rc["pdf.fonttype"] == 42 and rc["font.sans-serif"][0] == FONT_FAMILY
    from matplotlib import font_manager

    with house_style():
        assert Path(font_manager.findfont(FONT_FAMILY)) == path
    assert PALETTE[0] == "#0072B2"  # Okabe-Ito


def test_catalogue_has_both_languages_with_the_same_placeholders():
    fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
    for key, entry in TEXTS.items():
        assert set(entry) == {"zh", "en"}, key
        # the Chinese text may leave out a detail (an English reason), never add a placeholder
        assert set(fields(entry["zh"])) <= set(fields(entry["en"])), key
    with pytest.raises(InputError):
        text("estimate", "fr")


def test_coef_plot_in_chinese_uses_registry_labels_and_embeds_the_font(signup):
    from pypdf import PdfReader

    from recruitstats.levers import get_lever

    fig = coef_plot(signup, lang="zh")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [get_lever(lv).label("zh") for lv in signup.levers]
    assert signup.synthetic and [t.get_text() for t in fig.texts] == [text("synthetic_footnote", "zh")]
    cmap = _cmap()
    missing = {c for t in _texts(fig) for c in t if not c.isspace() and ord(c) not in cmap}
    assert not missing, f"glyphs the font lacks (tofu): {missing}"
    buf = io.BytesIO()
    with house_style():
        fig.savefig(buf, format="pdf")
    page = PdfReader(io.BytesIO(buf.getvalue())).pages[0]
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert any("NotoSansCJK" in str(f["/BaseFont"]) and f["/Subtype"] == "/Type0" for f in fonts)
    assert "宣传经费" in page.extract_text().replace(" ", "")


def test_coef_plot_english_and_any_result_with_tidy(signup):
    fig = coef_plot(signup, lang="en")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][0] == "Publicity spending"

    class Other:  # any result of the protocol: only tidy() is needed
        params = pd.Series({"door_visit": -0.3, "followup_contact": -0.4})
        synthetic = False

        def tidy(self, level=0.95):
            return pd.DataFrame({"term": ["door_visit", "followup_contact"], "estimate": [-0.3, -0.4],
                                 "se": [0.1, 0.1], "ci_low": [-0.5, -0.6], "ci_high": [-0.1, -0.2]})

    fig = coef_plot(Other(), lang="zh")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["入户动员", "新兵回访"]
    xs = fig.axes[0].lines[0].get_xdata()
    assert list(xs) == [-0.3, -0.4]


def test_dose_response_band_on_outcome_scale_with_axis_label(signup):
    fig = dose_response(signup, "publicity", factors=[0.05, 0.5, 1.0, 2.0], lang="zh")
    ax = fig.axes[0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    line = ax.lines[0].get_ydata()
    assert band.min() > 0  # a band on the log scale never crosses zero
    assert band.min() <= line.min() and band.max() >= line.max()
    assert "宣传经费（元/适龄青年）" in ax.get_xlabel()
    assert ax.get_ylabel() == text("outcome_per_cycle.signup", "zh")


def test_funnel_and_rank_plots_name_districts(panel):
    from recruitstats.report.league import league_table

    lg = league_table(panel, "return", draws=500, seed=1)
    pts = lg.funnel_points()
    fig = funnel_plot(pts, limits=lg.funnel_curve(), pooled_rate=lg.pooled_rate, lang="zh")
    named = {t.get_text() for t in fig.axes[0].texts}
    beyond = set(pts.loc[pts["flag"].str.endswith("99.8"), "district"])
    assert named == beyond
    assert fig.axes[0].get_ylabel() == "退兵率（%）"
    fig = rank_plot(lg.table, lang="en")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    shown = lg.table.dropna(subset=["rank"])
    assert ticks == list(shown.sort_values("rank")["district"])
    assert all("city no" not in t for t in ticks)


def test_figures_reject_unknown_language(signup):
    with pytest.raises(InputError):
        coef_plot(signup, lang="de")
    assert np.isfinite(signup.params).all()


def test_did_figures_take_their_words_from_the_catalogue():
    from recruitstats.report.event_study import plot_twfe_weights

    bacon = pd.DataFrame({"type": ["treated vs never", "earlier vs later", "later vs earlier"],
                          "weight": [0.5, 0.3, 0.2], "estimate": [0.1, 0.05, -0.02]})
    bacon.attrs["twfe"] = 0.061
    weights = pd.DataFrame({"event_time": [0, 1, 2], "weight": [0.7, 0.5, -0.2]})
    weights.attrs.update(negative_share=1 / 3, negative_sum=-0.2)
    for lang in ("zh", "en"):
        fig = plot_twfe_weights(bacon, weights=weights, lang=lang)
        ax, cells = fig.axes
        assert ax.get_xlabel() == text("did.bacon_x", lang) and ax.get_title() == text("did.bacon_title", lang)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert text("did.treated vs never", lang) in legend
        assert text("did.twfe_line", lang, value="0.061") in legend
        assert cells.get_xlabel() == text("did.event_x", lang)
    import recruitstats.report.event_study as es

    assert not hasattr(es, "DID_TEXTS")  # one catalogue: style.TEXTS
