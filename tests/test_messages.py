"""--lang zh|en on validate, ingest and fit (issue #11, item 3): the messages follow it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))


@pytest.mark.parametrize("command", [["validate"], ["ingest", "--store", "STORE"], ["fit", "signup", "--data"]])
def test_lang_chooses_the_language_of_messages(tmp_path, capsys, command):
    data = tmp_path / "data"
    data.mkdir()
    bad = mf.write_rule_break(data / "bad.csv", "half_1_or_2")
    argv = [str(tmp_path / "store") if a == "STORE" else a for a in command]
    assert main([*argv, str(bad), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "第 5 行：列“征集批次”：错误：不是征集批次" in err and "error:" not in err
    assert main([*argv, str(bad), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "row 5: column '征集批次': error: not a call-up cycle" in err and "错误" not in err
    assert not (tmp_path / "store").exists()


# --- walkthrough of a new user: reading and messages ----------------------------------------

def _recruits(path: Path, *, chinese: bool) -> Path:
    """A few recruit records (the sample's first rows), Chinese or English headers."""
    import pandas as pd

    from recruitstats.schema import RECRUITS

    df = pd.read_csv(mf.REPO / "data" / "sample" / "recruits.csv", dtype=str, nrows=60)
    if chinese:
        df.columns = [RECRUITS[c].label_zh if c in RECRUITS else c for c in df.columns]
    if path.suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("chinese", [True, False])
def test_a_recruit_file_given_as_the_panel_is_named(tmp_path, capsys, chinese):
    path = _recruits(tmp_path / "recruits.xlsx", chinese=chinese)
    assert main(["fit", "signup", "--data", str(path), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "this is a recruit-records file" in err and "fit needs a panel (one row per district and cycle)" in err
    assert "second row" not in err and err.count("\n") == 1
    assert main(["fit", "signup", "--data", str(path), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "这是新兵名册文件" in err and "需要面板数据（每个区县每个征集批次一行）" in err and "second" not in err


def test_load_panel_names_the_step_that_needs_the_panel(tmp_path):
    from recruitstats.errors import InputError, language
    from recruitstats.io import load_panel

    path = _recruits(tmp_path / "recruits.csv", chinese=True)
    with language("en"), pytest.raises(InputError, match="recruit-records file.*; fit needs a panel"):
        load_panel(path, purpose="fit")


def test_one_recruit_like_column_in_a_panel_is_not_a_recruit_file(tmp_path):
    """编号 (row numbers) is an alias of recruit_id: alone it does not make a panel a recruit file."""
    from recruitstats.io import load_panel

    df = mf.small_panel()
    df.insert(0, "编号", range(1, len(df) + 1))
    df.to_csv(tmp_path / "panel.csv", index=False)
    assert len(load_panel(tmp_path / "panel.csv")) == len(df)


def test_personal_data_points_to_ingest_drop_personal(tmp_path, capsys):
    path = mf.write_personal_recruits(tmp_path / "people.csv")
    for lang, words in (("en", "run `recruitstats ingest FILE --store DIR --drop-personal`"),
                        ("zh", "运行 `recruitstats ingest 文件 --store 目录 --drop-personal`")):
        assert main(["validate", str(path), "--lang", lang]) == 2
        err = capsys.readouterr().err
        assert words in err and "validate --drop-personal" in err
        assert "use --drop-personal (drop_personal=True)" not in err and "使用 --drop-personal" not in err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lever_and_model_column_checks_speak_the_language(lang):
    import pandas as pd

    from recruitstats.errors import InputError, language
    from recruitstats.levers import get_lever
    from recruitstats.models.rates import _check_columns

    panel = pd.DataFrame({"eligible_youth": [100.0]})
    with language(lang):
        with pytest.raises(InputError) as lever:
            get_lever("outreach").values(panel)
        with pytest.raises(InputError) as model:
            _check_columns(panel, ["applicants"], "signup model")
        texts = str(lever.value), str(model.value)
    if lang == "zh":
        assert "入户动员杠杆需要以下列：入户动员人次（door_visits）" in texts[0]
        assert "列“入户动员人次（door_visits）”" in texts[0]
        assert "应征报名模型需要以下列，而数据中没有：应征报名人数（applicants）" in texts[1]
        assert not any("needs" in t or "column" in t for t in texts)
    else:
        assert "the outreach lever needs column(s) door_visits" in texts[0]
        assert "the signup model needs column(s) applicants, which the data do not have" in texts[1]


def test_canonical_columns_show_their_chinese_name_in_zh():
    from recruitstats.errors import Problem, language

    with language("zh"):
        assert "列“年度（year）”" in str(Problem("缺少数值", file="f", row=3, column="year"))
        assert "列“宣传经费（万元）”" in str(Problem("x", file="f", column="宣传经费（万元）"))
        assert "列“foo”" in str(Problem("x", file="f", column="foo"))
    with language("en"):
        assert "column 'year'" in str(Problem("missing value", file="f", row=3, column="year"))


def test_no_header_row_in_zh(tmp_path, capsys):
    path = tmp_path / "nothing.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["validate", str(path), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "前 30 行中没有找到表头行" in err and "no header" not in err
    assert main(["validate", str(path), "--lang", "en"]) == 2
    assert "no header row found in the first 30 rows" in capsys.readouterr().err


@pytest.mark.parametrize("header", ["data_source", "Data Source", "数据来源"])
def test_the_packages_own_label_column_is_not_unknown(tmp_path, capsys, header):
    df = mf.small_panel()
    df[header] = "SYNTHETIC DATA (模拟数据) - generated by recruitstats.simulate, not real records"
    df["备用"] = "x"
    df.to_csv(tmp_path / "panel.csv", index=False)
    assert main(["validate", str(tmp_path / "panel.csv"), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "columns not in the data contract, kept as they are: 备用" in err and header not in err


def test_the_sample_panel_validates_without_an_unknown_column_warning(capsys):
    assert main(["validate", str(mf.SAMPLE_PANEL), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "data_source" not in err and "not in the data contract" not in err
