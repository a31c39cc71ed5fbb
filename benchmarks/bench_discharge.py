"""Benchmark: the piecewise-exponential cell model vs Cox (statsmodels PHReg) on millions of recruits.

Simulates about 5 million recruit records (SYNTHETIC), writes their durations to
one parquet file, then fits in separate subprocesses, each reporting its own
wall time and peak resident memory (``ru_maxrss`` of the worker):

- cells:      DuckDB collapse of the parquet file into cells + the Poisson rate engine
- phreg:      statsmodels PHReg (Efron ties) through ``fit_cox``, model-based errors, and
              the cluster-robust sandwich by district (timed separately)
- lifelines:  lifelines CoxPHFitter on a 1M subsample (and PHReg on the same subsample)

Target: cell model >= 5x faster than PHReg with hazard ratios within 2%.

Run:  .venv/bin/python benchmarks/bench_discharge.py            (about 5M records)
      .venv/bin/python benchmarks/bench_discharge.py --quick    (about 0.2M, a smoke test)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COVARIATES = ["door_visit", "followup_contact", "college_status"]
COLUMNS = ["district", "year", "half", *COVARIATES, "duration", "event"]


def _peak_mb() -> float:
    """Peak resident memory of this process. VmHWM is reset by exec; ru_maxrss is not (a
    forked child inherits the parent's high-water mark), so prefer /proc where it exists."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def worker(kind: str, path: str, subsample: int, seed: int) -> dict:
    import numpy as np  # noqa: F401
    import pandas as pd
    import statsmodels.duration.hazard_regression  # noqa: F401  (import cost outside the timing)

    import recruitstats.models.engine  # noqa: F401
    from recruitstats.models.cox import fit_cox

    out: dict = {"kind": kind, "baseline_mb": _peak_mb()}  # after imports, before data
    t0 = time.perf_counter()
    c0 = time.process_time()
    if kind == "cells":
        from recruitstats.models.piecewise import collapse_to_cells, fit_piecewise

        cells = collapse_to_cells(path, covariates=COVARIATES, by=("district",))
        t1 = time.perf_counter()
        pw = fit_piecewise(cells, covariates=COVARIATES, cluster="district")
        out.update(collapse_s=t1 - t0, fit_s=time.perf_counter() - t1, n_cells=len(cells),
                   params=pw.params.to_dict(), se=pw.se.to_dict())
    elif kind == "phreg":
        df = pd.read_parquet(path, columns=COLUMNS)
        t1 = time.perf_counter()
        cox = fit_cox(df, covariates=COVARIATES, cluster=None)
        t2 = time.perf_counter()
        robust = fit_cox(df, covariates=COVARIATES, cluster="district")
        out.update(read_s=t1 - t0, fit_s=t2 - t1, fit_robust_s=time.perf_counter() - t2, n=len(df),
                   params=cox.params.to_dict(), se=robust.se.to_dict(), model_se=cox.se.to_dict())
    elif kind in ("lifelines", "phreg_sub"):
        df = pd.read_parquet(path, columns=COLUMNS)
        df = df.sample(n=min(subsample, len(df)), random_state=seed)
        t1 = time.perf_counter()
        if kind == "lifelines":
            from lifelines import CoxPHFitter

            from recruitstats.models.survival import covariate_matrix

            X = covariate_matrix(df, COVARIATES).assign(duration=df["duration"].to_numpy(),
                                                        event=df["event"].to_numpy())
            cph = CoxPHFitter().fit(X, "duration", "event")
            params = cph.params_.to_dict()
        else:
            params = fit_cox(df, covariates=COVARIATES, cluster=None).params.to_dict()
        out.update(read_s=t1 - t0, fit_s=time.perf_counter() - t1, n=len(df), params=params)
    out["total_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0  # all threads (DuckDB uses several)
    out["peak_mb"] = _peak_mb()
    return out


def _run(kind: str, path: Path, subsample: int, seed: int) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, "--data", str(path),
                           "--subsample", str(subsample), "--seed", str(seed)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"kind": kind, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed",
                "wall_s": time.perf_counter() - start}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start  # includes interpreter start and imports
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--n-cities", type=int, default=189, help="cities of 24 districts (189: about 5M recruits)")
    parser.add_argument("--subsample", type=int, default=1_000_000, help="records for the lifelines comparison")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="about 0.2M records: a smoke test")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.subsample, args.seed)))
        return 0

    import numpy as np
    import pandas as pd

    from recruitstats.models.survival import discharge_durations
    from recruitstats.schema import SYNTHETIC_LABEL
    from recruitstats.simulate import simulate

    n_cities = 8 if args.quick else args.n_cities
    subsample = min(args.subsample, 100_000) if args.quick else args.subsample
    print(SYNTHETIC_LABEL)
    t0 = time.perf_counter()
    sim = simulate(seed=args.seed, n_cities=n_cities, districts_per_city=24, recruits=True)
    durations = discharge_durations(sim.recruits)[COLUMNS]
    truth = sim.truth["recruit_log_hazard_ratios"]
    del sim
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "durations.parquet"
        durations.to_parquet(path, index=False)
        n, events = len(durations), int(durations["event"].sum())
        del durations
        print(f"simulated {n:,} recruit records ({events:,} returns, {n_cities * 24:,} districts) "
              f"in {time.perf_counter() - t0:.1f}s\n")
        res = {k: _run(k, path, subsample, args.seed) for k in ("cells", "phreg", "lifelines", "phreg_sub")}

    for k, r in res.items():
        if "error" in r:
            print(f"{k}: FAILED: {r['error']}")
    cells, ph = res["cells"], res["phreg"]
    if "error" in cells or "error" in ph:
        return 1
    rows = [("cell model (DuckDB collapse + Poisson fit)", cells["total_s"], cells["peak_mb"],
             f"collapse {cells['collapse_s']:.1f}s, fit {cells['fit_s']:.1f}s, {cells['n_cells']:,} cells"),
            ("PHReg Cox, model-based errors", ph["read_s"] + ph["fit_s"], ph["peak_mb"],
             f"read {ph['read_s']:.1f}s, fit {ph['fit_s']:.1f}s"),
            ("PHReg Cox + cluster-robust errors", ph["read_s"] + ph["fit_robust_s"], ph["peak_mb"],
             f"fit + sandwich {ph['fit_robust_s']:.1f}s")]
    print(f"{'model':48s} {'wall (s)':>9s} {'peak MB':>9s}  detail")
    for name, sec, mb, detail in rows:
        print(f"{name:48s} {sec:9.1f} {mb:9.0f}  {detail}")
    print(f"CPU seconds (all threads): cells {cells['cpu_s']:.1f}, PHReg both fits {ph['cpu_s']:.1f}; "
          f"memory after imports, before data: cells {cells['baseline_mb']:.0f} MB, PHReg {ph['baseline_mb']:.0f} MB")
    speed = (ph["read_s"] + ph["fit_s"]) / cells["total_s"]
    speed_r = (ph["read_s"] + ph["fit_robust_s"]) / cells["total_s"]
    print(f"\nspeed-up of the cell model: {speed:.1f}x vs PHReg (model-based), {speed_r:.1f}x vs PHReg "
          f"with clustered errors; peak memory ratio PHReg / cells: {ph['peak_mb'] / cells['peak_mb']:.1f}x")

    cox_b, pw_b = pd.Series(ph["params"]), pd.Series(cells["params"])[list(ph["params"])]
    table = pd.DataFrame({"HR Cox": np.exp(cox_b), "HR cells": np.exp(pw_b),
                          "HR diff %": 100 * (np.exp(pw_b - cox_b) - 1),
                          "SE Cox (cl.)": pd.Series(ph["se"]), "SE cells (cl.)": pd.Series(cells["se"]),
                          "HR truth": np.exp(pd.Series(truth).reindex(cox_b.index))})
    print("\nhazard ratios on the same records (SYNTHETIC):")
    print(table.round(4).to_string())
    worst = table["HR diff %"].abs().max()
    ok = speed >= 5 and worst <= 2
    print(f"\ntarget (>= 5x faster, HR within 2%): {'met' if ok else 'NOT met'} "
          f"(speed-up {speed:.1f}x, largest HR difference {worst:.3f}%)")

    ll, sub = res["lifelines"], res["phreg_sub"]
    if "error" not in ll and "error" not in sub:
        diff = max(abs(ll["params"][k] - sub["params"][k]) for k in sub["params"])
        print(f"\nlifelines CoxPHFitter on a {ll['n']:,}-record subsample: fit {ll['fit_s']:.1f}s, "
              f"peak {ll['peak_mb']:.0f} MB; PHReg on the same subsample: fit {sub['fit_s']:.1f}s, "
              f"peak {sub['peak_mb']:.0f} MB; largest |log HR difference| {diff:.2e}")
    print("\n" + SYNTHETIC_LABEL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
