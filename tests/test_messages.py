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
