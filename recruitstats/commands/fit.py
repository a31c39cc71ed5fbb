"""``recruitstats fit signup|discharge``: fit a lever model and print its table or JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recruitstats.errors import InputError, Problem
from recruitstats.levers import LEVERS

DESCRIPTION = """\
Fit the sign-up model (applicants out of eligible youth) or the early-discharge
model (recruits returned out of recruits enlisted) on a panel file.

Default (SCHEMA.md, "Default model"): Poisson quasi-likelihood with district and
cycle fixed effects, errors clustered by district, levers
  publicity = log(publicity_spend / eligible_youth)
  stipend   = log(family_allowance / avg_wage)
  outreach  = log(1 + 100 * door_visits / eligible_youth)

The model comes from, in order: the defaults, the project config (--config, or
recruitstats.toml in the current folder: its [levers] roles and [models.signup] /
[models.discharge] tables), a model spec file (--spec, TOML keys of a model spec,
or a formula = "applicants ~ publicity + stipend | district + cycle"), and the
options below, each of which replaces what came before.

Levers are names in the lever registry: {levers}.

With fewer than 40 clusters the output says so: the covariance is the CRV3
leave-one-cluster-out jackknife (--vcov cluster forces CRV1) with t(G-1) critical
values, and --bootstrap REPS adds wild score cluster bootstrap p-values and
intervals (progress on standard error).

Examples:
  recruitstats fit signup --data data/sample/panel.csv
  recruitstats fit signup --data panel.xlsx --json --levers publicity stipend exemplar_talks
  recruitstats fit discharge --data panel.csv --bootstrap 999 --seed 7
  recruitstats fit signup --data panel.csv --spec my_model.toml
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="fit the sign-up or early-discharge lever model",
                       description=DESCRIPTION.format(levers=", ".join(LEVERS)),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=["signup", "discharge"], help="which model")
    p.add_argument("--data", required=True, type=Path, help="panel file (CSV, Excel or Parquet), folder or store")
    p.add_argument("--json", action="store_true", help="print the result as JSON (the data contract)")
    p.add_argument("--config", type=Path, default=None, help="project config (default: ./recruitstats.toml if any)")
    p.add_argument("--spec", type=Path, default=None, help="model spec TOML file")
    p.add_argument("--levers", nargs="+", choices=list(LEVERS), metavar="LEVER", default=None,
                   help="levers from the registry (default: publicity stipend outreach)")
    p.add_argument("--controls", nargs="*", default=None, metavar="COL",
                   help="numeric control columns, e.g. unemployment_rate")
    p.add_argument("--fixed-effects", nargs="*", default=None, metavar="COL",
                   help="fixed effects (default: district cycle); give 'none' for no fixed effects")
    p.add_argument("--cluster", default=None, metavar="COL",
                   help="cluster errors by this column (default: district); 'none' for robust errors")
    p.add_argument("--vcov", default=None, choices=["auto", "cluster", "jackknife", "hetero", "iid"],
                   help="covariance: auto (CRV1, or the CRV3 jackknife with fewer than 40 clusters; default), "
                        "cluster (always CRV1), jackknife (always CRV3), hetero (HC1, no clusters), iid")
    p.add_argument("--family", default=None, choices=["poisson", "binomial"],
                   help="poisson (default: quasi-Poisson rate model) or binomial (logit of the share)")
    p.add_argument("--trends", action="store_true", default=None, help="add district-specific linear trends")
    p.add_argument("--bootstrap", type=int, default=0, metavar="REPS",
                   help="add wild score cluster bootstrap p-values and intervals with REPS replications")
    p.add_argument("--seed", type=int, default=12345, help="bootstrap seed (default: 12345)")
    p.add_argument("--level", type=float, default=None, help="confidence level (default: 0.95)")
    p.set_defaults(func=run)


def _load(path: Path):
    import sys

    from recruitstats.io import load_panel
    from recruitstats.pipeline import data_files

    if path.is_dir():  # a data folder or an ingest store
        path = data_files(path).panel
    panel = load_panel(path, purpose="fit")
    for problem in panel.attrs.get("problems", []):
        print(problem, file=sys.stderr)
    return panel


def model_spec(args: argparse.Namespace):
    """The spec from defaults, config, spec file and options (in that order)."""
    from dataclasses import replace

    from recruitstats.config import find_config, load_config
    from recruitstats.specs import ModelSpec, spec_from_config

    config_path = args.config or find_config(".")
    spec = spec_from_config(args.model, load_config(config_path) if config_path else None)
    if args.spec is not None:
        spec = ModelSpec.from_toml(args.spec, table=args.model, base=spec)
    options = {"levers": args.levers, "controls": args.controls, "family": args.family, "vcov": args.vcov,
               "trends": args.trends, "level": args.level}
    if args.fixed_effects is not None:
        options["fixed_effects"] = [f for f in args.fixed_effects if f.lower() != "none"]
    spec = replace(spec, **{k: v for k, v in options.items() if v is not None})
    if args.cluster is not None:
        cluster = None if str(args.cluster).lower() == "none" else args.cluster
        vcov = "hetero" if cluster is None and spec.vcov in ("auto", "cluster", "jackknife") else spec.vcov
        spec = replace(spec, cluster=cluster, vcov=vcov)
    return spec


def _check_lever_columns(spec, panel, *, given: bool) -> None:
    """A lever whose columns the file lacks: say which, and how to fit the others."""
    from recruitstats.errors import current_language

    missing = {lv: [c for c in LEVERS[lv].inputs if c not in panel] for lv in spec.levers}
    missing = {lv: cols for lv, cols in missing.items() if cols}
    if not missing:
        return
    others = [lv for lv in spec.levers if lv not in missing]
    what = "; ".join(f"{lv} needs {', '.join(cols)}" for lv, cols in missing.items())
    hint = (f" Fit the others with --levers {' '.join(others)}." if others and not given else "")
    if current_language() == "zh":
        what = "；".join(f"{LEVERS[lv].label_zh}（{lv}）需要 {'、'.join(cols)} 列" for lv, cols in missing.items())
        hint = f"可用 --levers {' '.join(others)} 只估计其余杠杆。" if others and not given else ""
        raise InputError([Problem(f"数据中没有：{what}。{hint}", column=", ".join(c for v in missing.values()
                                                                              for c in v))])
    raise InputError([Problem(f"the data lack the columns of some levers: {what}.{hint}",
                              column=", ".join(c for v in missing.values() for c in v))])


def run(args: argparse.Namespace) -> int:
    from recruitstats.models.rates import fit_model
    from recruitstats.report.tables import format_regression_table
    from recruitstats.results import json_safe

    if args.level is not None and not 0 < args.level < 1:
        raise InputError(f"--level must be between 0 and 1, not {args.level}")
    if args.bootstrap < 0:
        raise InputError("--bootstrap takes a positive number of replications")
    spec = model_spec(args)
    if args.bootstrap and spec.cluster is None:
        raise InputError("--bootstrap needs clustered errors (give --cluster)")
    panel = _load(args.data)
    try:
        _check_lever_columns(spec, panel, given=args.levers is not None)
        result = fit_model(spec, panel)
    except InputError as exc:  # locate model problems in the file
        raise InputError([Problem(p.message, file=p.file or str(args.data), row=p.row, column=p.column,
                                  expected=p.expected, severity=p.severity) for p in exc.problems]) from None
    if args.bootstrap:
        result = result.with_bootstrap(reps=args.bootstrap, seed=args.seed, progress=True)
    if args.json:
        out = json_safe(result.to_dict())
        out["data"] = str(args.data)
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(format_regression_table(result))
    return 0
