"""``recruitstats fit``: the JSON contract, files as offices send them, and refusals without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recruitstats.cli import main
from recruitstats.models.rates import fit_signup
from recruitstats.schema import PANEL

CONTRACT = {"model": str, "outcome": str, "exposure": str, "n_obs": int, "n_clusters": int,
            "fixed_effects": list, "inference": str, "effects": dict}
EFFECT_KEYS = {"coef", "se", "ci_low", "ci_high", "p_value"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    from recruitstats.simulate import simulate

    return simulate(seed=3, n_cities=3, districts_per_city=6, first_year=2019, last_year=2024,
                    recruits=False).panel


@pytest.fixture(scope="module")
def csv_path(panel, tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "panel.csv"
    panel.to_csv(path, index=False)
    return path


def _run_json(capsys, *argv) -> dict:
    code = main(["fit", *argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_json_follows_the_contract(capsys, csv_path, panel):
    out = _run_json(capsys, "signup", "--data", str(csv_path))
    for key, typ in CONTRACT.items():
        assert isinstance(out[key], typ), key
    assert out["model"] == "signup" and out["outcome"] == "applicants"
    assert out["exposure"] == "eligible_youth"
    assert out["fixed_effects"] == ["district", "cycle"]
    assert out["n_obs"] == len(panel) and out["n_clusters"] == 18
    assert set(out["effects"]) == {"publicity", "stipend", "outreach"}
    for e in out["effects"].values():
        assert set(e) >= EFFECT_KEYS
        assert all(isinstance(e[k], float) for k in EFFECT_KEYS)
    assert out["synthetic"] is True
    assert "few clusters" in out["inference"] and "t(17)" in out["inference"]
    # the same numbers as the library call, unrounded
    lib = fit_signup(panel).to_dict()
    for lever, e in out["effects"].items():
        assert e["coef"] == lib["effects"][lever]["coef"]


def test_discharge_and_options(capsys, csv_path):
    out = _run_json(capsys, "discharge", "--data", str(csv_path), "--levers", "outreach", "stipend",
                    "--controls", "unemployment_rate", "--family", "binomial")
    assert out["outcome"] == "returned" and out["exposure"] == "enlisted"
    assert set(out["effects"]) == {"outreach", "stipend"}
    assert "unemployment_rate" in out["controls"]
    assert out["family"] == "binomial"
    # districts that never returned anyone are dropped and counted
    assert out["dropped"].get("district_code groups with no variation in returned", 0) >= 1  # keyed by code
    none = _run_json(capsys, "signup", "--data", str(csv_path), "--fixed-effects", "none",
                     "--cluster", "none")
    assert none["fixed_effects"] == [] and none["n_clusters"] is None
    # 18 clusters: the default is the CRV3 jackknife; --vcov cluster forces CRV1
    assert "jackknife" in _run_json(capsys, "signup", "--data", str(csv_path))["inference"]
    crv1 = _run_json(capsys, "signup", "--data", str(csv_path), "--vcov", "cluster")
    assert "CRV1" in crv1["inference"] and "jackknife" not in crv1["inference"]


def test_bootstrap_adds_bootstrap_columns(capsys, csv_path):
    out = _run_json(capsys, "signup", "--data", str(csv_path), "--levers", "publicity",
                    "--bootstrap", "99", "--seed", "4")
    e = out["effects"]["publicity"]
    assert {"boot_p_value", "boot_ci_low", "boot_ci_high"} <= set(e)
    assert out["bootstrap"]["reps"] == 99 and out["bootstrap"]["seed"] == 4


def test_text_table(capsys, csv_path):
    assert main(["fit", "signup", "--data", str(csv_path)]) == 0
    text = capsys.readouterr().out
    for word in ("publicity", "stipend", "outreach", "Observations", "Clusters", "Fixed effects",
                 "t(17)", "SYNTHETIC"):
        assert word in text


def test_reads_gbk_chinese_headers(capsys, panel, tmp_path):
    io = pytest.importorskip("recruitstats.io")
    if not hasattr(io, "load_panel"):
        pytest.skip("recruitstats.io.load_panel not available yet")
    zh = panel.drop(columns=["data_source"]).rename(columns={c: PANEL[c].label_zh for c in PANEL})
    zh["宣传经费（万元）"] = zh.pop("宣传经费") / 10_000
    path = tmp_path / "区县面板.csv"
    zh.to_csv(path, index=False, encoding="gbk")
    out = _run_json(capsys, "signup", "--data", str(path))
    ref = fit_signup(panel).to_dict()
    assert out["n_obs"] == ref["n_obs"]
    for lever, e in out["effects"].items():
        assert e["coef"] == pytest.approx(ref["effects"][lever]["coef"], rel=1e-8)


@pytest.mark.parametrize("mutate, argv, text", [
    (lambda p: p.drop(columns="door_visits"), [], "door_visits"),
    (lambda p: p, ["--controls", "college_students"], "college_students"),
    (lambda p: p.assign(family_allowance=0.0), [], "stipend"),
    (lambda p: p.assign(applicants=0.0), [], "applicants"),
])
def test_bad_input_exits_2_with_located_message(capsys, panel, tmp_path, mutate, argv, text):
    path = tmp_path / "bad.csv"
    mutate(panel.copy()).to_csv(path, index=False)
    code = main(["fit", "signup", "--data", str(path), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert text in err and "Traceback" not in err


def test_missing_file_and_real_process_have_no_traceback(tmp_path, csv_path):
    assert main(["fit", "signup", "--data", str(tmp_path / "nope.csv")]) == 2
    bad = tmp_path / "bad.csv"
    pd.read_csv(csv_path).drop(columns="eligible_youth").to_csv(bad, index=False)
    proc = subprocess.run([sys.executable, "-m", "recruitstats.cli", "fit", "signup", "--data", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "eligible_youth" in proc.stderr
    assert proc.stdout == ""


def test_three_formats_give_identical_estimates_through_the_command(tmp_path, capsys):
    """Issue 3's acceptance test carried to the model: the same panel as a clean CSV, a Chinese GBK
    CSV with 万元 and ％, and a messy Excel sheet gives the same `fit signup --json`."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import messy_files as mf

    base = mf.base_panel()
    if "publicity_spend" not in base or "door_visits" not in base:
        pytest.skip("the messy-file panel has no lever columns")
    files = [mf.write_english_csv(base, tmp_path / "en.csv"),
             mf.write_chinese_csv(base, tmp_path / "zh_gbk.csv"),
             mf.write_messy_excel(base, tmp_path / "messy.xlsx")]
    outs = []
    for path in files:
        assert main(["fit", "signup", "--data", str(path), "--json"]) == 0
        outs.append(json.loads(capsys.readouterr().out)["effects"])
    assert outs[0] == outs[1] == outs[2]


def test_a_missing_lever_column_names_the_lever_and_how_to_fit_the_others(capsys, panel, tmp_path):
    path = tmp_path / "no_visits.csv"
    panel.drop(columns=["door_visits"]).to_csv(path, index=False)
    assert main(["fit", "signup", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "outreach needs door_visits" in err and "--levers publicity stipend" in err and str(path) in err
    assert main(["fit", "signup", "--data", str(path), "--levers", "publicity", "stipend"]) == 0
