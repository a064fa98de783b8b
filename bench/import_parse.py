"""Benchmark the plan importer (not a test).

Run from the project root:  .venv/bin/python bench/import_parse.py

Prints the median time to parse the seed report, the median time to parse a generated
1,000-problem document (10 parts x 100 problems x 3 measures, seed style), and the
ratio of the seed time to a baseline that only reads the text (splitlines + one regex
pass over every line), measured in the same run.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.plan_import import parse_text  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "plans" / "seed_haizhu_progress_report.txt"
_CN = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
_BASELINE_RE = re.compile(r"^(?:第.+部分|[一二三四五六七八九十]+、|\(|（|\d+[.、])|[一二三四五六七八九十]是")


def _median_seconds(func: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _baseline(text: str) -> int:
    """The cost of just reading the text: split it and run one regex over every line."""
    lines = text.splitlines()
    return len(lines) + sum(1 for line in lines if _BASELINE_RE.search(line))


def generated_document(parts: int = 10, problems: int = 100, measures: int = 3) -> str:
    """A seed-style progress report with ``parts * problems`` problems of ``measures`` measures each."""
    out = [
        "根据区委统一部署,2020年8月24日至9月25日,广州市区委巡察第8组对海珠区委政法委进行了巡察。"
        "2020年10月21日,广州市区委巡察第8组向海珠区委政法委反馈了巡察意见。现将巡察整改进展情况予以公布。",
        "一、提高政治站位,强化组织领导,压实巡察整改主体责任",
        "(一)压实主体责任,强化组织落实。第一时间成立巡察整改工作领导小组,切实加强对整改工作的全面领导。",
        "(二)加强跟踪督办,确保整改见效。对整改情况严格督查督办,倒排时间节点,逐项核实、逐项销号。",
        "二、聚焦巡察反馈清单,逐条逐项落实巡察整改措施",
    ]
    for p in range(parts):
        out.append(f"第{_CN[p % 10]}部分 第{p + 1}组重点工作落实方面")
        for q in range(1, problems + 1):
            out.append(f"{q}.针对第{p + 1}组第{q}项工作落实不到位问题。")
            out.append(
                "".join(
                    f"{_CN[m]}是围绕第{q}项工作建立健全工作机制,明确责任分工,"
                    f"定期研究推进,确保整改措施落到实处,2021年完成阶段性目标。"
                    for m in range(measures)
                )
            )
    out += [
        "三、持续整改落实,促进成果转化,着力构建长效机制",
        "(一)久久为功强化整改落实。对已完成的整改任务,适时组织“回头看”,防止问题反弹回潮。",
        "欢迎广大干部群众对巡察整改落实情况进行监督。联系方式:电话020-89088142;电子邮箱:gzhzq12345@126.com。",
        "中共广州市海珠区委政法委员会",
        "2021年10月14日",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    """Run the benchmark and print the figures."""
    seed_text = SEED.read_text(encoding="utf-8")
    seed = parse_text(seed_text)
    assert seed.summary_line() == "parts: 10  problems: 25  measures: 55  unassigned: 0", seed.summary_line()
    big_text = generated_document()
    big = parse_text(big_text)
    assert (len(big.parts), big.problem_count, big.measure_count) == (10, 1000, 3000), big.summary_line()

    seed_repeat, big_repeat = 200, 5
    parse_text(seed_text)  # warm up regex caches
    seed_s = _median_seconds(lambda: parse_text(seed_text), seed_repeat)
    base_s = _median_seconds(lambda: _baseline(seed_text), seed_repeat)
    big_s = _median_seconds(lambda: parse_text(big_text), big_repeat)
    big_base_s = _median_seconds(lambda: _baseline(big_text), big_repeat)

    print(f"seed: {seed_s * 1000:.1f} ms (median of {seed_repeat})")
    print(f"1000 problems: {big_s:.2f} s (median of {big_repeat}; {len(big_text.splitlines())} lines)")
    print(f"baseline seed: {base_s * 1000:.3f} ms  baseline 1000 problems: {big_base_s * 1000:.2f} ms")
    print(f"ratio seed/baseline: {seed_s / base_s:.0f}")
    print(f"ratio 1000 problems/baseline: {big_s / big_base_s:.0f}")


if __name__ == "__main__":
    main()
