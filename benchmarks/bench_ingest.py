"""Benchmark: reading a 100,000-row messy Excel panel with recruitstats vs a plain pandas read.

Builds (once, cached under benchmarks/_work/) a synthetic Excel panel the way
offices write it: a title row, merged group headers, Chinese headers, money in
万元, full-width digits typed as text, placeholders ("XX", "—"), thousands
separators, a combined cycle column and a 合计 row. Then, each in a fresh
subprocess so peak memory is measured separately:

(a) ``recruitstats.io.load_panel`` (read + parse + validate), and
(b) ``pd.read_excel(engine="openpyxl")`` (plain read, no cleaning at all),

and prints wall time, peak resident memory (ru_maxrss) and their ratios.

Usage: ``python benchmarks/bench_ingest.py [--rows 100000] [--rebuild]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path(__file__).resolve().parent / "_work"
LABEL = "SYNTHETIC DATA (模拟数据) - benchmark file, not real records"

HEADERS = ["省份", "地市", "区县", "行政区划代码", "征集周期", "适龄青年数（人）", "征集任务数", "应征报名人数",
           "上站体检人数", "批准入伍人数", "大学生新兵数", "大学毕业生新兵数", "退兵人数", "宣传经费（万元）",
           "宣传册发放份数", "义务兵家庭优待金（万元）", "入户动员人次", "城镇单位在岗职工平均工资", "城镇调查失业率"]
FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _messy_count(x: int, r: float) -> object:
    if r < 0.05:
        return str(x).translate(FULLWIDTH)  # full-width digits typed as text
    if r < 0.10:
        return f"{x:,}"  # thousands separator as text
    return x


def build(path: Path, rows: int, seed: int = 20261128) -> None:
    """Write the messy workbook (openpyxl write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.worksheet.cell_range import CellRange

    rng = np.random.default_rng(seed)
    n_cycles = 50
    n_districts = -(-rows // n_cycles)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("征兵统计")
    ws.append([f"某省征兵工作统计表 {LABEL}"])
    ws.append(["基本情况", None, None, None, None, "兵员征集"] + [None] * (len(HEADERS) - 6))
    ws.merged_cells.add(CellRange(min_col=1, min_row=2, max_col=5, max_row=2))
    ws.merged_cells.add(CellRange(min_col=6, min_row=2, max_col=len(HEADERS), max_row=2))
    ws.append(HEADERS)
    written = 0
    for d in range(n_districts):
        code = 110000 + d
        for c in range(n_cycles):
            if written == rows:
                break
            year, half = 2001 + c // 2, 1 + c % 2
            r = rng.random(8)
            eligible = int(rng.integers(2_000, 20_000))
            applicants = int(eligible * rng.uniform(0.05, 0.4))
            enlisted = int(applicants * rng.uniform(0.1, 0.3))
            college = int(enlisted * rng.uniform(0.2, 0.8))
            ws.append([
                "模拟省", f"模拟市{d // 100 + 1}", f"模拟区{d + 1}", code, f"{year}年{'上' if half == 1 else '下'}半年",
                _messy_count(eligible, r[0]), max(1, enlisted - 3), _messy_count(applicants, r[1]),
                int(applicants * 0.6), enlisted, college, college // 2, int(rng.integers(0, 3)),
                round(float(rng.uniform(1, 9)), 4), "XX" if r[2] < 0.01 else int(rng.integers(500, 5000)),
                round(float(rng.uniform(1.2, 2.5)), 4), "—" if r[3] < 0.01 else int(rng.integers(100, 2000)),
                int(rng.integers(50_000, 120_000)), f"{rng.uniform(3, 7):.1f}％",
            ])
            written += 1
    ws.append(["合计"] + [None] * (len(HEADERS) - 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _child(which: str, path: str) -> None:
    import pandas as pd  # noqa: F401  (imports count in the baseline, not the measurement)

    import recruitstats.io as rio

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if which == "ours":
        df = rio.load_panel(path)
        extra = {"warnings": len(df.attrs["problems"])}
    else:
        df = pd.read_excel(path, engine="openpyxl", header=None)
        extra = {}
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024, "rows": len(df),
                      **extra}))


def _run(which: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", which, str(path)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    path = WORK / f"messy_panel_{args.rows}.xlsx"
    if args.rebuild or not path.exists():
        t = time.perf_counter()
        build(path, args.rows)
        print(f"built {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    ours, plain = _run("ours", path), _run("openpyxl", path)
    print(f"{LABEL}\nfile: {path.name}, {args.rows:,} data rows, {len(HEADERS)} columns")
    for name, r in (("recruitstats load_panel (read+clean+validate)", ours),
                    ("pd.read_excel(engine='openpyxl') (plain read)", plain)):
        print(f"  {name:48s} {r['seconds']:7.2f} s   peak RSS {r['peak_mb']:7.0f} MB "
              f"(+{r['peak_mb'] - r['base_mb']:.0f} MB over imports)   rows {r['rows']:,}")
    print(f"  ratio time (ours / openpyxl):   {ours['seconds'] / plain['seconds']:.2f}")
    print(f"  ratio peak RSS increase (ours / openpyxl): "
          f"{(ours['peak_mb'] - ours['base_mb']) / max(1e-9, plain['peak_mb'] - plain['base_mb']):.2f}")
    print(f"  warnings kept by load_panel: {ours.get('warnings')}")


if __name__ == "__main__":
    main()
