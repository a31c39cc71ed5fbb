"""Benchmark: reading a 100,000-row messy Excel panel with recruitstats vs a plain pandas read.

Builds (once, cached under benchmarks/_work/) a synthetic Excel panel the way
offices write it: a title row, merged group headers, Chinese headers, money in
万元, full-width digits typed as text, placeholders ("XX", "—"), thousands
separators, a combined cycle column and a 合计 row. Then, each in a fresh
subprocess so peak memory is measured separately:

(a) ``recruitstats.io.load_panel`` (read + parse + validate), and
(b) ``pd.read_excel(engine="openpyxl")`` (plain read, no cleaning at all),

and prints wall time, peak resident memory (ru_maxrss) and their ratios.

With ``--store`` it measures the store instead (issue #9: "adding 200k recruit
records to a store of 26k takes seconds, not minutes"): it writes synthetic
recruit CSV files of 26,000 and 200,000 records and a 28,500-row panel, ingests
the 26k file and the panel into a fresh store, then times (in a fresh
subprocess) adding the 200k file, and compares loading the processed panel with
``rio.load_panel`` (typed parquet, no second parse) against ``pd.read_parquet``.

Usage: ``python benchmarks/bench_ingest.py [--rows 100000] [--rebuild] [--store]``
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


def build_recruits(path: Path, n: int, start: int, seed: int) -> None:
    """Synthetic recruit records (ids R00000001 ...) as an office CSV with Chinese headers."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    d = rng.integers(0, 2850, n)
    year = rng.integers(2016, 2026, n)
    half = rng.integers(1, 3, n)
    enlist = pd.to_datetime(year.astype(str)) + pd.to_timedelta(np.where(half == 1, 60, 240), unit="D")
    pd.DataFrame({
        "新兵编号": [f"R{i:08d}" for i in range(start, start + n)], "区县": [f"模拟区{i}" for i in d],
        "行政区划代码": (110000 + d).astype(str), "年度": year, "征集批次": half,
        "性别": np.where(rng.random(n) < 0.04, "女", "男"),
        "文化程度": np.array(["高中", "大专", "本科"])[rng.integers(0, 3, n)],
        "是否入户动员": np.where(rng.random(n) < 0.4, "是", "否"), "役前训练成绩": rng.integers(50, 100, n),
        "入伍日期": enlist.strftime("%Y-%m-%d"), "备注": np.where(rng.random(n) < 0.01, LABEL, ""),
    }).to_csv(path, index=False)


def build_panel_csv(path: Path, seed: int = 5) -> None:
    """A synthetic national-size panel: 2,850 districts x 10 cycles."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    d = np.repeat(np.arange(2850), 10)
    c = np.tile(np.arange(10), 2850)
    eligible = rng.integers(2_000, 20_000, d.size)
    applicants = (eligible * rng.uniform(0.05, 0.4, d.size)).astype(int)
    pd.DataFrame({"区县": [f"模拟区{i}" for i in d], "行政区划代码": (110000 + d).astype(str),
                  "年度": 2016 + c // 2, "征集批次": 1 + c % 2, "适龄青年数": eligible, "应征报名人数": applicants,
                  "宣传经费": rng.integers(10_000, 90_000, d.size), "备注": LABEL}).to_csv(path, index=False)


def _store_child(store: str, new: str) -> None:
    import pandas as pd

    import recruitstats.io as rio

    start = time.perf_counter()
    report = rio.ingest([new], store)
    seconds = time.perf_counter() - start
    panel = Path(store) / "processed" / "panel.parquet"
    t = time.perf_counter()
    ours = rio.load_panel(panel)
    load = time.perf_counter() - t
    t = time.perf_counter()
    plain = pd.read_parquet(panel)
    read = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "recruits": report.rows.get("recruits"), "load": load, "read": read,
                      "panel_rows": len(ours), "same": bool(ours.equals(plain))}))


def store_benchmark() -> None:
    import shutil

    folder = WORK / "store_bench"
    folder.mkdir(parents=True, exist_ok=True)
    small, big, panel = folder / "recruits_26k.csv", folder / "recruits_200k.csv", folder / "panel.csv"
    for path, build_it in ((small, lambda p: build_recruits(p, 26_000, 1, 1)),
                           (big, lambda p: build_recruits(p, 200_000, 26_001, 2)), (panel, build_panel_csv)):
        if not path.exists():
            build_it(path)
    store = folder / "store"
    shutil.rmtree(store, ignore_errors=True)
    import os

    os.environ.setdefault("RECRUITSTATS_KEY_FILE", str(folder / "keys" / "pseudonym.key"))
    import recruitstats.io as rio

    rio.ingest([small, panel], store)
    out = subprocess.run([sys.executable, __file__, "--store-child", str(store), str(big)], check=True,
                         capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{LABEL}\nstore of 26,000 recruit records + a {r['panel_rows']:,}-row panel")
    print(f"  add 200,000 recruit records (read, check, copy, de-duplicate, rebuild): {r['seconds']:6.2f} s "
          f"-> {r['recruits']:,} records")
    print(f"  load processed panel: rio.load_panel {r['load'] * 1000:7.1f} ms, pd.read_parquet "
          f"{r['read'] * 1000:7.1f} ms, ratio {r['load'] / r['read']:.2f} (same frame: {r['same']})")


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
    parser.add_argument("--store", action="store_true", help="measure adding 200k recruit records to a store")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--store-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    if args.store_child:
        _store_child(*args.store_child)
        return
    if args.store:
        store_benchmark()
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
