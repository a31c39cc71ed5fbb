"""Benchmark: ``recruitstats power`` for a 45-district, 10-cycle panel with 1,000 simulations.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_power.py [--sims 1000] [--glm-fits 10]

1. Times the whole command ``recruitstats power --districts 45 --cycles 10 --effect 0.1
   --sims 1000 --json`` in a fresh process (start-up and imports included). Each
   simulation fits the model twice (with the effect, and with effect 0 for the size).
2. Times the same per-simulation fit with statsmodels' GLM (Poisson, explicit district
   and cycle dummies, offset log eligible youth, cluster-robust covariance by district)
   on ``--glm-fits`` simulated panels, and EXTRAPOLATES linearly to the 2 x 1,000 fits
   the command makes (labelled as such: the loop is not run in full).
3. Checks that statsmodels and our engine agree on the coefficient on those panels.

Target (issue #12): under a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def time_command(sims: int) -> tuple[float, dict]:
    cmd = [str(BIN / "recruitstats"), "power", "--districts", "45", "--cycles", "10", "--effect", "0.1",
           "--sims", str(sims), "--seed", "1", "--json"]
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t, json.loads(out.stdout)


def time_statsmodels(n_fits: int) -> tuple[float, float]:
    """Seconds per statsmodels GLM fit with dummies and clustered errors; largest |b_sm - b_ours|."""
    import pandas as pd
    import statsmodels.api as sm

    from recruitstats.measures import LEVERS
    from recruitstats.planning.power import _Fitter, power_panel

    fitter = _Fitter(45, 10, "publicity", "poisson", "cluster")
    elapsed, worst = 0.0, 0.0
    for i in range(n_fits):
        panel = power_panel(districts=45, cycles=10, effect=0.1, seed=100 + i)
        t = time.perf_counter()
        X = pd.concat([panel[list(LEVERS)],
                       pd.get_dummies(panel["district"], prefix="d", dtype=float),
                       pd.get_dummies(panel["cycle_index"], prefix="c", drop_first=True, dtype=float)], axis=1)
        codes = pd.factorize(panel["district"])[0]
        res = sm.GLM(panel["applicants"], X, family=sm.families.Poisson(),
                     offset=np.log(panel["eligible_youth"])).fit(cov_type="cluster",
                                                                  cov_kwds={"groups": codes})
        elapsed += time.perf_counter() - t
        levers = {k: panel[k].to_numpy().reshape(45, 10) for k in LEVERS}
        ours, _ = fitter.fit(panel["applicants"].to_numpy(), panel["eligible_youth"].to_numpy(), levers)
        worst = max(worst, abs(res.params["publicity"] - ours))
    return elapsed / n_fits, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=1000)
    parser.add_argument("--glm-fits", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    seconds, result = time_command(args.sims)
    fits = 2 * args.sims
    print(f"recruitstats power (45 districts x 10 cycles, {args.sims} sims, {fits} fits, whole command): "
          f"{seconds:.1f} s  [target < 60 s: {'met' if seconds < 60 else 'NOT met'}]")
    print(f"  power {result['power']:.3f}, size {result['size']:.3f}, mde {result['mde']:.4f}; "
          f"{result['inference']}")
    per_fit, worst = time_statsmodels(args.glm_fits)
    print(f"statsmodels GLM with explicit dummies + clustered errors: {per_fit * 1e3:.0f} ms per fit "
          f"(mean of {args.glm_fits} fits); EXTRAPOLATED to {fits} fits: {per_fit * fits:.0f} s "
          f"(ratio {per_fit * fits / seconds:.0f}x our whole command)")
    print(f"largest |coefficient difference| statsmodels vs our engine: {worst:.2e}")


if __name__ == "__main__":
    main()
