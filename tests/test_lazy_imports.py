"""The command line's help and ``import recruitstats`` load none of the heavy libraries.

Each check runs in a fresh interpreter: a module imported by an earlier test
would otherwise hide an eager import.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scipy", "statsmodels", "pandera", "matplotlib", "recruitstats.models.engine")


def _loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.rstrip("\n").split("\n")[-1].split(",") if m]


@pytest.mark.parametrize("code", [
    "import recruitstats",
    "import recruitstats.cli",
    "import recruitstats.cli as c\nc.build_parser(None, lazy=True).format_help()",
    "import recruitstats.cli as c\nc.build_parser('validate', lazy=True).format_help()",
])
def test_no_heavy_import(code):
    assert _loaded_after(code) == []


def test_help_names_every_command_as_the_eager_parser_does():
    from recruitstats import cli

    assert cli.build_parser(None, lazy=True).format_help() == cli.build_parser().format_help()


def test_public_names_resolve_and_the_function_survives_its_submodule():
    import recruitstats as rs
    import recruitstats.simulate  # noqa: F401  (binds the submodule on the package)

    assert callable(rs.simulate) and rs.simulate.__module__ == "recruitstats.simulate"
    for name in rs.__all__:
        assert getattr(rs, name) is not None
    with pytest.raises(AttributeError):
        rs.no_such_name  # noqa: B018


def test_validate_loads_neither_scipy_statsmodels_nor_the_models():
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv"
    code = (f"import recruitstats.cli as c\nrc = c.main(['validate', {str(sample)!r}])\nassert rc == 0, rc")
    loaded = _loaded_after(code)
    assert not [m for m in loaded if m != "pandera"], loaded
