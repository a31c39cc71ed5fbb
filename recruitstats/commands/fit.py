"""``recruitstats fit signup|discharge``: fit a lever model and print its table or JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from recruitstats.errors import InputError, Problem

DESCRIPTION = """\
Fit the sign-up model (applicants out of eligible youth) or the early-discharge
model (recruits returned out of recruits enlisted) on a panel file.

Default (SCHEMA.md, "Default model"): Poisson quasi-likelihood with district and
cycle fixed effects, errors clustered by district, levers
  publicity = log(publicity_spend / eligible_youth)
  stipend   = log(family_allowance / avg_wage)
  outreach  = log(1 + 100 * door_visits / eligible_youth)

With fewer than 40 clusters the output says so: the covariance is the CRV3
leave-one-cluster-out jackknife (--vcov cluster forces CRV1) with t(G-1) critical
values, and --bootstrap REPS adds wild score cluster bootstrap p-values and
intervals (progress on standard error).

Examples:
  recruitstats fit signup --data data/sample/panel.csv
  recruitstats fit signup --data panel.xlsx --json --controls unemployment_rate
  recruitstats fit discharge --data panel.csv --bootstrap 999 --seed 7
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="fit the sign-up or early-discharge lever model",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=["signup", "discharge"], help="which model")
    p.add_argument("--data", required=True, type=Path, help="panel file (CSV, Excel or Parquet)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (the data contract)")
    p.add_argument("--levers", nargs="+", choices=["publicity", "stipend", "outreach"],
                   default=["publicity", "stipend", "outreach"], help="levers to include (default: all three)")
    p.add_argument("--publicity", default="spend",
                   choices=["spend", "brochures", "sms", "online_posts", "posters"],
                   help="publicity measure (default: spend per eligible youth)")
    p.add_argument("--stipend", default="relative_wage", choices=["relative_wage", "real_yuan", "yuan"],
                   help="stipend measure (default: allowance relative to the local wage)")
    p.add_argument("--outreach", default="door_visits",
                   choices=["door_visits", "counselors_trained", "exemplar_talks"],
                   help="outreach measure (default: door visits per 100 eligible youth)")
    p.add_argument("--controls", nargs="*", default=[], metavar="COL",
                   help="numeric control columns, e.g. unemployment_rate")
    p.add_argument("--fixed-effects", nargs="*", default=["district", "cycle"], metavar="COL",
                   help="fixed effects (default: district cycle); give none for no fixed effects")
    p.add_argument("--cluster", default="district", metavar="COL",
                   help="cluster errors by this column (default: district); 'none' for robust errors")
    p.add_argument("--vcov", default="auto", choices=["auto", "cluster", "jackknife"],
                   help="clustered covariance: auto (CRV1, or the CRV3 jackknife with fewer than 40 "
                        "clusters; default), cluster (always CRV1), jackknife (always CRV3)")
    p.add_argument("--family", default="poisson", choices=["poisson", "binomial"],
                   help="poisson (default: quasi-Poisson rate model) or binomial (logit of the share)")
    p.add_argument("--trends", action="store_true", help="add district-specific linear trends")
    p.add_argument("--bootstrap", type=int, default=0, metavar="REPS",
                   help="add wild score cluster bootstrap p-values and intervals with REPS replications")
    p.add_argument("--seed", type=int, default=12345, help="bootstrap seed (default: 12345)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default: 0.95)")
    p.set_defaults(func=run)


def _load(path: Path):
    import sys

    from recruitstats.io import load_panel
    from recruitstats.pipeline import data_files

    if path.is_dir():  # a data folder or an ingest store
        path = data_files(path).panel
    panel = load_panel(path)
    for problem in panel.attrs.get("problems", []):
        print(problem, file=sys.stderr)
    return panel


def _json_safe(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    return obj


def run(args: argparse.Namespace) -> int:
    from recruitstats.models.rates import fit_discharge, fit_signup
    from recruitstats.report.tables import format_regression_table

    if not 0 < args.level < 1:
        raise InputError(f"--level must be between 0 and 1, not {args.level}")
    if args.bootstrap < 0:
        raise InputError("--bootstrap takes a positive number of replications")
    cluster = None if str(args.cluster).lower() == "none" else args.cluster
    if args.bootstrap and cluster is None:
        raise InputError("--bootstrap needs clustered errors (give --cluster)")
    fixed_effects = [f for f in args.fixed_effects if f.lower() != "none"]
    panel = _load(args.data)
    fitter = fit_signup if args.model == "signup" else fit_discharge
    try:
        result = fitter(panel, levers=args.levers, publicity=args.publicity, stipend=args.stipend,
                        outreach=args.outreach, controls=args.controls, fixed_effects=fixed_effects,
                        cluster=cluster, family=args.family, trends=args.trends, level=args.level,
                        vcov=None if cluster is None else args.vcov)
    except InputError as exc:  # locate model problems in the file
        raise InputError([Problem(p.message, file=p.file or str(args.data), row=p.row, column=p.column,
                                  expected=p.expected, severity=p.severity) for p in exc.problems]) from None
    if args.bootstrap:
        result = result.with_bootstrap(reps=args.bootstrap, seed=args.seed, progress=True)
    if args.json:
        out = _json_safe(result.to_dict())
        out["data"] = str(args.data)
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(format_regression_table(result))
    return 0
