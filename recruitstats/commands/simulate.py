"""``recruitstats simulate``: write a synthetic data set with its known truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from recruitstats.simulate import DEFAULT_EFFECTS, simulate, write_simulation

DESCRIPTION = f"""\
Write a SYNTHETIC data set (模拟数据) drawn from a model whose true effects are
known, for testing estimators, trying the notebooks and teaching. The data
describe no real district, office or person.

Files written in DIR (created if needed; existing files of these names are replaced):
  panel.csv     one row per district and call-up cycle, every canonical panel
                column (English headers, district_code as 6-digit text, money
                in yuan, unemployment_rate as a fraction). One autumn cycle
                (half 2) a year before 2020, spring and autumn (half 1, 2) from 2020.
  recruits.csv  one row per enlisted recruit (pseudonymous ids SIM00000001...;
                no personal data), consistent with the panel: per district and
                cycle exactly `enlisted` rows, and `returned` equals the number of
                recruits with an exit_date. Left out with --no-recruits.
  truth.json    "synthetic": true, the label, the seed and settings, the true
                lever coefficients of the sign-up model ("signup") and of the
                early-discharge model ("discharge"), the recruit-level log hazard
                ratios, the lever transforms the truth applies to, and notes.
  README.txt    what the files are and the command that regenerates them.
Both CSV files carry a data_source column saying they are synthetic.

Default true effects: sign-ups {DEFAULT_EFFECTS['signup']};
early discharge {DEFAULT_EFFECTS['discharge']}.
The same seed and options always give byte-identical files.

Example (the bundled sample in data/sample):
  recruitstats simulate --out data/sample --seed 20261128 --cities 3 \\
      --districts-per-city 8 --first-year 2016 --last-year 2025
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate", help="write a synthetic panel, recruit records and truth.json (known true effects)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the files into")
    p.add_argument("--seed", type=int, default=20261128, metavar="N",
                   help="random seed (default 20261128, the bundled sample's)")
    p.add_argument("--cities", type=int, default=3, metavar="N", help="number of synthetic cities (default 3)")
    p.add_argument("--districts-per-city", type=int, default=8, metavar="N",
                   help="districts in each city, 1 to 99 (default 8)")
    p.add_argument("--first-year", type=int, default=2016, metavar="Y", help="first year (default 2016)")
    p.add_argument("--last-year", type=int, default=2025, metavar="Y", help="last year (default 2025)")
    p.add_argument("--carryover", type=float, default=0.0, metavar="L",
                   help="share of publicity carried over to the next cycle, 0 to <1 (default 0: none); "
                        "the true publicity effect then applies to the adstocked spend (see truth.json)")
    p.add_argument("--no-recruits", action="store_true", help="write the panel only (no recruits.csv)")
    p.add_argument("--staggered", action="store_true",
                   help="districts raise the family allowance in different years with known, growing effects "
                        "(truth.json: staggered); for the stipend-reform analysis")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sim = simulate(seed=args.seed, n_cities=args.cities, districts_per_city=args.districts_per_city,
                   first_year=args.first_year, last_year=args.last_year, carryover=args.carryover,
                   recruits=not args.no_recruits, staggered=args.staggered)
    for path in write_simulation(sim, args.out):
        print(path)
    n_rec = 0 if sim.recruits is None else len(sim.recruits)
    print(f"synthetic data: {len(sim.panel)} district-cycles, {n_rec} recruit records (seed {args.seed})")
    return 0
