"""Speed and memory of the check: prints model load, GiNZA pass vs rules, re-check after an edit, peak RSS.

    python benchmarks/check_speed.py [--corpus ../shared/eval/letters_dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.core.checks.nlp import NlpEngine  # noqa: E402
from desktop_app.core.checks.runner import CheckRunner  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "eval" / "letters_dev.jsonl"


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def letters(corpus: Path) -> list[dict]:
    if corpus.exists():
        return [json.loads(x) for x in corpus.read_text(encoding="utf-8").splitlines() if x.strip()]
    sample = (ROOT / "resources" / "samples" / "incident_report.json").read_text(encoding="utf-8")
    return [{"text": "\n".join(str(v) for v in json.loads(sample).values()), "context": {}}]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--edits", type=int, default=30)
    args = ap.parse_args()
    recs = letters(args.corpus)

    engine = NlpEngine()
    load = engine.load()
    t0 = time.perf_counter()
    runner = CheckRunner(engine)
    runner.rules  # noqa: B018 - built on first use: the rules and their data, the MANBYO vocabulary included
    rules_load = time.perf_counter() - t0
    print(f"model load:                     {load:6.2f} s   (target <= 3 s, with the rules below)")
    print(f"rules and vocabulary load:      {rules_load:6.2f} s")
    print(f"memory (RSS) after loading:     {peak_rss_mb():6.0f} MB   (target <= 700 MB)")

    # 1) GiNZA pass alone vs the rules alone, on the same letters, cache cleared for the GiNZA pass
    texts = [r["text"] for r in recs]
    engine._cache.clear()
    t0 = time.perf_counter()
    analyses = [engine.analyze(t) for t in texts]
    nlp_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for rec, analysis in zip(recs, analyses, strict=True):
        runner.check(rec["text"], rec.get("context") or {}, analysis=analysis)
    rules_s = time.perf_counter() - t0
    chars = sum(map(len, texts))
    print(f"GiNZA pass ({len(texts)} letters, {chars} chars): {nlp_s:6.2f} s   ({nlp_s / chars * 1000:.2f} s per 1,000 chars)")
    print(f"rules on the same letters:      {rules_s:6.2f} s   = {rules_s / nlp_s * 100:5.1f}% of the GiNZA pass (target <= 15%)")
    print(f"whole check / GiNZA pass:       {(nlp_s + rules_s) / nlp_s:6.3f}   (target <= 1.15)")

    # 2) re-check after editing one paragraph of a ~3,000-character letter
    paragraphs = [p for t in texts for p in t.split("\n") if len(p) > 40]
    body, i = [], 0
    while sum(map(len, body)) < 3000:
        body.append(paragraphs[i % len(paragraphs)] + f"（{i}）")
        i += 1
    letter = "\n".join(body)
    context = recs[0].get("context") or {}
    runner.check(letter, context)  # warm: every paragraph parsed once
    times, cpu = [], []
    for n in range(args.edits):
        k = n % len(body)
        edited = body[:k] + [body[k] + f"追記{n}。"] + body[k + 1:]
        t0, c0 = time.perf_counter(), time.process_time()
        runner.check("\n".join(edited), context)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    cold = []
    for n in range(3):
        engine._cache.clear()
        t0 = time.perf_counter()
        runner.check(letter + f"{n}", context)
        cold.append((time.perf_counter() - t0) * 1000)
    print(f"re-check after one-paragraph edit ({len(letter)} chars): median {statistics.median(times):6.1f} ms, "
          f"max {max(times):6.1f} ms over {len(times)} edits (target median <= 100 ms); "
          f"CPU time median {statistics.median(cpu):6.1f} ms (what a busy machine does not inflate)")
    print(f"full check of the same letter, nothing cached: median {statistics.median(cold):6.1f} ms")
    print(f"peak memory (RSS) with the model loaded: {peak_rss_mb():6.0f} MB   (target <= 700 MB)")


if __name__ == "__main__":
    main()
