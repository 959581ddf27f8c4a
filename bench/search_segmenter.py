"""Which segmenter: jieba (pure Python) or rjieba (its Rust port), on the same Chinese text, with
the same user dictionary, in one run (figures are ratios of one machine's moment, not absolutes).

    .venv/bin/python bench/search_segmenter.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_app import save_results  # noqa: E402
from bench.search import generated_text  # noqa: E402
from portal.search.segment import GOVERNANCE_TERMS  # noqa: E402


def timed(cut, texts) -> float:
    started = time.perf_counter()
    for text in texts:
        list(cut(text))
    return time.perf_counter() - started


def main():
    import logging

    import jieba
    import rjieba

    jieba.setLogLevel(logging.WARNING)
    texts = [generated_text(n, 600) for n in range(2000)]
    characters = sum(len(t) for t in texts)

    slow = jieba.Tokenizer()
    fast = rjieba.Jieba()
    started = time.perf_counter()
    slow.initialize()
    jieba_load = time.perf_counter() - started
    for term in GOVERNANCE_TERMS:
        slow.add_word(term, 50_000)
        fast.add_word(term, 50_000, None)
    started = time.perf_counter()
    rjieba.Jieba().cut("预热")
    rjieba_load = time.perf_counter() - started

    timed(slow.cut_for_search, texts[:50])  # warm both
    timed(fast.cut_for_search, texts[:50])
    jieba_s = timed(slow.cut_for_search, texts)
    rjieba_s = timed(fast.cut_for_search, texts)
    same = sum(list(slow.cut_for_search(t)) == list(fast.cut_for_search(t)) for t in texts[:200])

    lines = [
        f"{len(texts)} texts, {characters} characters, cut_for_search with the governance user dictionary",
        f"jieba  load {jieba_load * 1000:7.1f} ms   segment {jieba_s * 1000:8.1f} ms   "
        f"{characters / jieba_s / 1e6:5.2f} M chars/s",
        f"rjieba load {rjieba_load * 1000:7.1f} ms   segment {rjieba_s * 1000:8.1f} ms   "
        f"{characters / rjieba_s / 1e6:5.2f} M chars/s",
        f"rjieba is {jieba_s / rjieba_s:.1f}x faster; identical words for {same} of 200 texts",
    ]
    lines.append(f"load average {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))
    save_results(lines, "search-segmenter")


if __name__ == "__main__":
    main()
