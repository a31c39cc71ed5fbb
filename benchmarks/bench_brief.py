"""Time to build the policy brief: all six files (zh/en x HTML/PDF/DOCX) and tables.xlsx.

Prints the time of each step on the bundled sample (or --data), so that the part
of `make report` spent on the brief is known: fitting and policy quantities once
(``collect``, planning evidence included), composing each language (figures included), and rendering each
format. The issue's budget is the whole `make report` under 60 s on 2 cores.

    python benchmarks/bench_brief.py [--data data/sample] [--repeat 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def main() -> None:
    from recruitstats.io import load_panel
    from recruitstats.pipeline import data_files
    from recruitstats.report import brief_render as br
    from recruitstats.report.brief import collect, compose, planning_evidence

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / "data" / "sample"))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    panel_file = data_files(args.data).panel
    for rep in range(args.repeat):
        t0 = time.perf_counter()
        panel = load_panel(panel_file)
        t1 = time.perf_counter()
        inputs = collect(panel, files=[panel_file])
        t2 = time.perf_counter()
        steps = {"load panel": t1 - t0, "fit, policy, scorecard, league, planning (once)": t2 - t1}
        t = time.perf_counter()
        planning_evidence(panel, inputs.signup)  # timed again alone, not counted in the total
        planning = time.perf_counter() - t
        t0 += planning
        sizes: dict[str, int] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for lang in ("zh", "en"):
                t = time.perf_counter()
                brief = compose(inputs, lang)
                steps[f"compose {lang} (figures included)"] = time.perf_counter() - t
                for ext in ("html", "pdf", "docx"):
                    t = time.perf_counter()
                    path = br.write(brief, Path(tmp) / f"brief.{lang}.{ext}")
                    steps[f"render {lang} {ext}"] = time.perf_counter() - t
                    sizes[path.name] = path.stat().st_size
            t = time.perf_counter()
            br.write_tables_xlsx(inputs, Path(tmp) / "tables.xlsx")
            steps["tables.xlsx"] = time.perf_counter() - t
        total = time.perf_counter() - t0
        print(f"brief benchmark, run {rep + 1}: {len(panel)} panel rows")
        for name, secs in steps.items():
            print(f"  {name:<48s} {secs:6.2f} s  ({100 * secs / total:4.1f}%)")
        print(f"  {'total: six brief files and tables.xlsx':<48s} {total:6.2f} s")
        print(f"  {'of which planning evidence (DiD, scenario)':<48s} {planning:6.2f} s")
        print("  file sizes: " + ", ".join(f"{n} {b / 1024:.0f} kB" for n, b in sizes.items()))


if __name__ == "__main__":
    main()
