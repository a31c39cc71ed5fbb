"""``recruitstats power``: simulated power and minimal detectable effect of a planned evaluation."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
Before asking whether a lever works, ask whether the data could tell.
Simulates panels (planning simulation, not your data; 功效模拟) of the planned size from the package's
simulator (districts x consecutive call-up cycles, the default sign-up model with
district and cycle fixed effects), fits each with the rate engine (errors
clustered by district: CRV1, or the CRV3 jackknife below 40 districts; t(G-1))
and reports:

  power  share of simulations where the lever's coefficient is significant
         when its true value is --effect
  size   the same share when the true value is 0 (should be near --alpha)
  mde    minimal detectable effect at 80% power, (t(1-alpha/2) + t(0.8)) x se

Effects are log-rate coefficients (for publicity and stipend: elasticities).
By default the lever varies as in the simulator (the stipend: staggered raises);
--treated-share, --start-cycle and --change-pct simulate a planned change instead:
the lever's column changes by PCT% in a random share of districts from cycle K on.
A progress bar is shown on standard error when it is a terminal.

在计划开展评估之前先问：数据能否回答这个问题？本命令按计划的区县数、批次数生成
功效模拟（计划用的模拟面板，并非您的数据），用与 fit 相同的模型拟合，报告检验功效、零效应下的拒绝率与
80% 功效下的最小可检测效应。

Examples:
  recruitstats power --districts 45 --cycles 10 --effect 0.1 --sims 1000
  recruitstats power --districts 24 --cycles 8 --effect 0.3 --sims 500 --lever stipend --json
  recruitstats power --districts 96 --cycles 10 --effect 0.1 --sims 500 --cities 12 --city-sd 0.05
  recruitstats power --districts 40 --cycles 10 --effect 0.4 --sims 500 --lever stipend \
      --treated-share 0.5 --start-cycle 5 --change-pct 20     # a planned allowance reform
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("power", help="simulated power and minimal detectable effect of a planned evaluation",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--districts", type=int, required=True, metavar="N", help="districts (clusters) in the panel")
    p.add_argument("--cycles", type=int, required=True, metavar="T", help="call-up cycles per district")
    p.add_argument("--effect", type=float, required=True, metavar="E",
                   help="true coefficient of the lever to detect (e.g. 0.1 = elasticity 0.1)")
    p.add_argument("--sims", type=int, default=1000, metavar="S", help="simulated panels (default 1000)")
    p.add_argument("--seed", type=int, default=12345, metavar="N", help="random seed (default 12345)")
    p.add_argument("--lever", default="publicity", choices=["publicity", "stipend", "outreach"],
                   help="lever whose effect is tested (default publicity)")
    p.add_argument("--alpha", type=float, default=0.05, help="two-sided significance level (default 0.05)")
    p.add_argument("--rho", type=float, default=0.3,
                   help="serial correlation of the sign-up noise within a district (default 0.3)")
    p.add_argument("--cities", type=int, default=None, metavar="N",
                   help="group the districts into N cities and cluster errors by city")
    p.add_argument("--city-sd", type=float, default=0.0, metavar="SD",
                   help="sd of a shock common to a city's districts each cycle (log scale; needs --cities)")
    p.add_argument("--treated-share", type=float, default=None, metavar="P",
                   help="a planned change in a random share P of districts instead of the simulator's "
                        "lever variation (e.g. 0.5)")
    p.add_argument("--start-cycle", type=int, default=None, metavar="K",
                   help="cycle (0-based) from which the planned change applies (default: the middle)")
    p.add_argument("--change-pct", type=float, default=20.0, metavar="PCT",
                   help="planned change of the lever's column in percent (default 20)")
    p.add_argument("--vcov", default="auto", choices=["auto", "cluster", "jackknife"],
                   help="auto (CRV1, or CRV3 below 40 districts; default), cluster (CRV1), jackknife (CRV3)")
    p.add_argument("--family", default="poisson", choices=["poisson", "binomial"], help="model family")
    p.add_argument("--lang", default="zh,en", help="languages of the text output (default zh,en)")
    p.add_argument("--json", action="store_true", help="print JSON (SCHEMA.md keys and more)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from recruitstats.commands.scenario import tr  # registers the --lang message
    from recruitstats.errors import InputError
    from recruitstats.planning.power import power

    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    if not langs or any(x not in ("zh", "en") for x in langs):
        raise InputError(tr("scenario.lang", value=args.lang))
    result = power(args.districts, args.cycles, args.effect, args.sims, args.seed, alpha=args.alpha,
                   lever=args.lever, family=args.family, vcov=args.vcov, rho=args.rho, cities=args.cities,
                   city_sd=args.city_sd, treated_share=args.treated_share, start_cycle=args.start_cycle,
                   change_pct=args.change_pct)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(result.summary(lang) for lang in langs))
    return 0
