"""Project configuration: defaults, the commented file `init` writes, and refusals that name the key."""

from __future__ import annotations

import dataclasses

import pytest

from recruitstats.cli import main
from recruitstats.config import ProjectConfig, default_config_text, find_config, load_config
from recruitstats.errors import InputError


def _write(tmp_path, text: str):
    path = tmp_path / "recruitstats.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_common_contract():
    cfg = load_config()
    assert cfg.threshold == 5 and cfg.languages == ("zh", "en") and cfg.language == "zh"
    assert cfg.unit_costs == {"door_visits": 50.0} and cfg.scorecard == "default"
    assert cfg.models == {} and cfg.levers == {"publicity": "publicity", "stipend": "stipend",
                                               "outreach": "outreach"}
    assert cfg.allowance_years == 2.0 and cfg.title is None and cfg.source is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.threshold = 3


def test_the_file_init_writes_reads_back_as_the_defaults(tmp_path):
    assert "#" in default_config_text() and "优待金" in default_config_text()
    assert main(["init", str(tmp_path / "recruitstats.toml")]) == 0
    cfg = load_config(tmp_path / "recruitstats.toml")
    assert dataclasses.replace(cfg, source=None) == ProjectConfig()
    assert find_config(tmp_path) == tmp_path / "recruitstats.toml"
    assert find_config(tmp_path / "nowhere") is None


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = _write(tmp_path, "threshold = 7\n")
    assert main(["init", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert load_config(path).threshold == 7
    assert main(["init", str(path), "--force"]) == 0
    assert load_config(path).threshold == 5
    assert not list(tmp_path.glob(".recruitstats-init-*"))


def test_values_are_read_and_partial_tables_keep_defaults(tmp_path):
    path = _write(tmp_path, """
title = "某市征兵分析"
languages = ["en"]
threshold = 10
allowance_years = 2.5
[unit_costs]
exemplar_talks = 800
[levers]
outreach = "outreach"
[models.signup]
controls = ["unemployment_rate"]
family = "binomial"
""")
    cfg = load_config(path)
    assert cfg.title == "某市征兵分析" and cfg.languages == ("en",) and cfg.threshold == 10
    assert cfg.unit_costs == {"door_visits": 50.0, "exemplar_talks": 800.0}
    assert cfg.models == {"signup": {"controls": ["unemployment_rate"], "family": "binomial"}}
    assert cfg.levers["publicity"] == "publicity" and cfg.allowance_years == 2.5
    assert cfg.to_dict()["languages"] == ["en"] and cfg.source == str(path.resolve())


@pytest.mark.parametrize("text, key", [
    ("thresold = 5", "thresold"),
    ("threshold = 'five'", "threshold"),
    ("threshold = true", "threshold"),
    ("threshold = 0", "threshold"),
    ("languages = ['fr']", "languages"),
    ("allowance_years = -1", "allowance_years"),
    ("scorecard = 3", "scorecard"),
    ("[unit_costs]\ndoor_visits = 'fifty'", "unit_costs.door_visits"),
    ("[unit_costs]\nno_such_column = 1.0", "unit_costs.no_such_column"),
    ("[levers]\nmorale = 'publicity'", "levers.morale"),
    ("models = 3", "models"),
    ("[models]\nsignup = 'poisson'", "models.signup"),
])
def test_bad_keys_are_named(tmp_path, text, key):
    with pytest.raises(InputError) as err:
        load_config(_write(tmp_path, text))
    assert f"key '{key}'" in str(err.value)


def test_every_bad_key_is_reported_at_once_and_broken_toml_is_located(tmp_path):
    with pytest.raises(InputError) as err:
        load_config(_write(tmp_path, "a = 1\nb = 2\n"))
    assert len(err.value.problems) == 2
    with pytest.raises(InputError, match="not valid TOML.*line 1"):
        load_config(_write(tmp_path, "threshold = = 5"))
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "missing.toml")
