"""``recruitstats scenario``: predicted applicants and returns next cycle when levers change."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from recruitstats.errors import register_messages, tr

DESCRIPTION = """\
Predict next cycle's applicants (sign-up model) and early returns (discharge
model) when a district, a city or every district changes its levers, from the
fitted models' own predictions. Next cycle is the latest cycle of the data with
the levers changed. Each change is LEVER=+N%, LEVER=-N% or LEVER=xF; levers:
publicity (publicity_spend), stipend (allowance, family_allowance), outreach
(door_visits).

Output: expected counts now and after the change, the change with its
confidence interval (delta method), and a prediction interval for next cycle's
count that includes parameter uncertainty, the estimation error of the fixed
effects and outcome noise (--reps draws, --seed); --cycle-sd adds a common shock
for what makes next cycle differ from the latest.

预测下一批次在调整宣传经费、优待金、入户动员后的报名人数与退兵人数，给出置信区间与
包含参数不确定性和随机波动的预测区间。

Examples:
  recruitstats scenario --data data/sample/panel.csv --set publicity=+30% --set outreach=x2
  recruitstats scenario --data panel.xlsx --set allowance=+20% --city 模拟市1 --json
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenario", help="predicted applicants and returns next cycle when levers change",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="panel file, folder or ingest store")
    p.add_argument("--set", dest="changes", action="append", required=True, metavar="LEVER=CHANGE",
                   help="a lever change such as publicity=+30%% or outreach=x2 (repeatable)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--district", metavar="NAME", help="the district (name or code) that changes")
    where.add_argument("--city", metavar="NAME", help="the city whose districts change")
    p.add_argument("--no-returns", action="store_true", help="sign-ups only (no discharge model)")
    p.add_argument("--reps", type=int, default=4000, help="draws for the prediction interval (default 4000)")
    p.add_argument("--seed", type=int, default=12345, help="seed of the draws (default 12345)")
    p.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--cycle-sd", type=float, default=0.0, metavar="SD",
                   help="sd of a common shock to next cycle's log rate (default 0: the latest cycle replayed)")
    p.add_argument("--lang", default="zh,en", help="languages of the text output (default zh,en)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="project configuration (default: ./recruitstats.toml if present); its threshold hides "
                        "counts of fewer people")
    p.set_defaults(func=run)


register_messages({
    "scenario.lang": {"en": "--lang takes zh, en or zh,en, not {value!r}", "zh": "--lang 只能是 zh、en 或 zh,en，而不是 {value!r}"},
    "scenario.no_returns": {"en": "{data}: warning: early returns not predicted: {why}",
                            "zh": "{data}：警告：未预测退兵人数：{why}"},
})


def _threshold(path: str | None) -> int:
    """The project config's suppression threshold (./recruitstats.toml when no --config; default 5)."""
    from recruitstats.config import find_config, load_config

    return load_config(path or find_config(".")).threshold


def run(args: argparse.Namespace) -> int:
    from recruitstats.commands.fit import _load
    from recruitstats.errors import InputError
    from recruitstats.models.rates import fit_discharge, fit_signup
    from recruitstats.planning.scenarios import next_cycle, parse_change

    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    if not langs or any(x not in ("zh", "en") for x in langs):
        raise InputError(tr("scenario.lang", value=args.lang))
    changes = dict(parse_change(c) for c in args.changes)
    panel = _load(args.data)
    signup = fit_signup(panel, level=args.level)
    discharge = None
    if not args.no_returns and {"returned", "enlisted"} <= set(panel.columns) \
            and panel["returned"].notna().any():
        try:
            discharge = fit_discharge(panel, level=args.level)
        except InputError as exc:   # sign-ups can still be predicted
            print(tr("scenario.no_returns", data=args.data, why=str(exc).splitlines()[0]), file=sys.stderr)
    result = next_cycle(signup, changes, discharge=discharge, district=args.district, city=args.city,
                        level=args.level, reps=args.reps, seed=args.seed, cycle_sd=args.cycle_sd,
                        threshold=_threshold(args.config))
    if args.json:
        out = result.to_dict()
        out["data"] = str(args.data)
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(result.summary(lang) for lang in langs))
    return 0
