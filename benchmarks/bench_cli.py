"""Benchmark: speed on the whole path, from the command line to the fitted model.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_cli.py [--quick] [--repeats N]

Prints, side by side in one run, four ratios with their targets (issue #9):

1. the whole ``recruitstats fit signup --data panel.csv --json`` process on the national
   panel (2,850 districts x 10 call-up cycles = 28,500 rows, SYNTHETIC, drawn by
   ``recruitstats.simulate``) against a pyfixest ``fepois`` script on the same CSV
   (read with pandas, same lever transforms, one fit): target <= 0.5x;
2. loading that panel from its clean CSV (``load_panel``: read, typed columns, checks)
   against ``pandas.read_csv`` of the same file, in one process after imports: <= 5x;
3. ``recruitstats --help`` against ``python -c "import pandas"``: <= 1.5x;
4. the CRV3 leave-one-cluster-out jackknife on 45 districts against the CRV1 fit
   (``fit_rate`` with vcov="jackknife" vs "cluster"), and the jackknife's largest
   difference from its definition (45 fits from scratch): <= 3x.

Each whole-process figure is the best of ``--repeats`` runs (3 by default), as wall
time and as CPU time (user + system of the child): on a shared machine the CPU time
is the steadier of the two. The machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "cli"
BIN = Path(sys.executable).parent

PYFIXEST_SCRIPT = r"""
import sys
import numpy as np, pandas as pd, pyfixest as pf
d = pd.read_csv(sys.argv[1], dtype={"district_code": str})
d["publicity"] = np.log(d["publicity_spend"] / d["eligible_youth"])
d["stipend"] = np.log(d["family_allowance"] / d["avg_wage"])
d["outreach"] = np.log1p(100 * d["door_visits"] / d["eligible_youth"])
d["cycle"] = d["year"].astype(str) + "H" + d["half"].astype(str)
d["lexp"] = np.log(d["eligible_youth"])
m = pf.fepois("applicants ~ publicity + stipend + outreach | district + cycle", data=d, offset="lexp",
              vcov={"CRV1": "district"})
import json
print(json.dumps({"coef": {k: float(v) for k, v in m.coef().items()}}))
"""

LOAD_SCRIPT = r"""
import json, sys, time
import pandas as pd
from recruitstats.io import load_panel
path, reps = sys.argv[1], int(sys.argv[2])
def best(f):
    out = []
    for _ in range(reps):
        t = time.perf_counter(); c = time.process_time(); f()
        out.append((time.perf_counter() - t, time.process_time() - c))
    return min(w for w, _ in out), min(c for _, c in out)
pandas_s = best(lambda: pd.read_csv(path))
ours_s = best(lambda: load_panel(path))
print(json.dumps({"pandas": pandas_s, "ours": ours_s, "rows": len(load_panel(path))}))
"""

JACKKNIFE_SCRIPT = r"""
import json, sys, time
import numpy as np
from recruitstats.inference import jackknife_covariance
from recruitstats.models.engine import fit_rate
from recruitstats.models.rates import fit_signup
from recruitstats.simulate import simulate
reps = int(sys.argv[1])
data = fit_signup(simulate(seed=1, n_cities=5, districts_per_city=9, recruits=False).panel).data
kw = dict(outcome="applicants", exposure="eligible_youth", regressors=["publicity", "stipend", "outreach"],
          fixed_effects=["district", "cycle"], cluster="district")
times = {"cluster": [], "jackknife": []}
for _ in range(reps):  # alternate, so that both meet the same load
    for vcov, out in times.items():
        t = time.perf_counter(); c = time.process_time(); fit = fit_rate(data, vcov=vcov, **kw)
        out.append((time.perf_counter() - t, time.process_time() - c))
w1, c1 = (min(x[i] for x in times["cluster"]) for i in (0, 1))
w3, c3 = (min(x[i] for x in times["jackknife"]) for i in (0, 1))
crv3 = fit
draws = [fit_rate(crv3.data[crv3.data["district"] != g], vcov="iid", **kw).params.to_numpy()
         for g in sorted(crv3.data["district"].unique())]
ref = jackknife_covariance(np.asarray(draws), crv3.params.to_numpy())
print(json.dumps({"crv1": [w1, c1], "crv3": [w3, c3], "clusters": int(crv3.n_clusters), "rows": int(crv3.n_obs),
                  "max_abs_diff": float(np.abs(crv3.cov.to_numpy() - ref).max()),
                  "max_abs_cov": float(np.abs(ref).max()), "vcov": crv3.vcov}))
"""


def run(cmd: list[str], repeats: int) -> dict:
    """Best wall and CPU time of ``repeats`` runs of ``cmd``; its last stdout."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return {"wall": min(walls), "cpu": min(cpus), "out": p.stdout}


def make_panel(quick: bool) -> Path:
    """The national panel (SYNTHETIC): 2,850 districts x 10 cycles, or 285 with --quick."""
    sys.path.insert(0, str(ROOT))
    from recruitstats.simulate import simulate, write_simulation

    folder = WORK / ("national_quick" if quick else "national")
    if not (folder / "panel.csv").exists():
        sim = simulate(seed=2025, n_cities=15 if quick else 150, districts_per_city=19, first_year=2021,
                       last_year=2025, recruits=False)
        write_simulation(sim, folder)
    return folder / "panel.csv"


def line(label: str, ours: tuple[float, float], peer: tuple[float, float], target: str, limit: float) -> None:
    rw, rc = ours[0] / peer[0], ours[1] / peer[1]
    verdict = lambda r: "met" if r <= limit else "NOT MET"  # noqa: E731
    print(f"{label:<44}{ours[0]:>8.3f}{peer[0]:>8.3f}{rw:>7.2f}x{ours[1]:>8.3f}{peer[1]:>8.3f}{rc:>7.2f}x"
          f"   {target} wall {verdict(rw)}, CPU {verdict(rc)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 285-district panel (smoke test)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the best counts")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="set OPENBLAS/OMP/MKL_NUM_THREADS for every tool (default: the environment's)")
    args = parser.parse_args()
    if args.blas_threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    print("SYNTHETIC DATA: every panel here is drawn by recruitstats.simulate")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"load average before: {os.getloadavg()[0]:.1f}")
    csv = make_panel(args.quick)
    r = args.repeats
    ours_fit = run([str(BIN / "recruitstats"), "fit", "signup", "--data", str(csv), "--json"], r)
    pyfixest = run([sys.executable, "-c", PYFIXEST_SCRIPT, str(csv)], r)
    help_ = run([str(BIN / "recruitstats"), "--help"], max(r, 5))
    pandas_ = run([sys.executable, "-c", "import pandas"], max(r, 5))
    load = json.loads(run([sys.executable, "-c", LOAD_SCRIPT, str(csv), str(max(r, 3))], 1)["out"])
    jack = json.loads(run([sys.executable, "-c", JACKKNIFE_SCRIPT, str(max(5 * r, 15))], 1)["out"])
    # the command line runs BLAS on one thread (recruitstats/cli.py); in Python the environment decides
    one = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    jack1 = json.loads(subprocess.run([sys.executable, "-c", JACKKNIFE_SCRIPT, str(max(5 * r, 15))],
                                      capture_output=True, text=True, check=True, env=one).stdout)

    ours_json = json.loads(ours_fit["out"])
    ref = json.loads(pyfixest["out"].strip().splitlines()[-1])["coef"]
    diff = max(abs(ours_json["effects"][k]["coef"] - v) for k, v in ref.items())
    print(f"national panel: {ours_json['n_obs']:,} rows, {ours_json['n_clusters']:,} clusters; "
          f"max |coef ours - pyfixest| = {diff:.1e}")
    print(f"jackknife: {jack['clusters']} clusters, {jack['rows']} rows, method {jack['vcov']}; max |CRV3 - "
          f"fits from scratch| = {jack['max_abs_diff']:.1e} (largest entry {jack['max_abs_cov']:.1e})\n")
    print(f"{'seconds (best of runs)':<44}{'ours':>8}{'peer':>8}{'ratio':>8}{'ours':>8}{'peer':>8}{'ratio':>8}")
    print(f"{'':<44}{'--- wall time ---':>24}{'--- CPU time ---':>24}")
    line("fit signup --json vs pyfixest script", (ours_fit["wall"], ours_fit["cpu"]),
         (pyfixest["wall"], pyfixest["cpu"]), "target <= 0.5x:", 0.5)
    line("load_panel(csv) vs pandas.read_csv", tuple(load["ours"]), tuple(load["pandas"]), "target <= 5x:", 5)
    line("recruitstats --help vs import pandas", (help_["wall"], help_["cpu"]), (pandas_["wall"], pandas_["cpu"]),
         "target <= 1.5x:", 1.5)
    line("CRV3 jackknife vs CRV1 fit (45 districts)", tuple(jack["crv3"]), tuple(jack["crv1"]), "target <= 3x:", 3)
    line("  the same, one BLAS thread (as the CLI)", tuple(jack1["crv3"]), tuple(jack1["crv1"]), "target <= 3x:", 3)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
