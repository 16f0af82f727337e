"""Check time against text length, 1,000 to 200,000 characters, in one line and in paragraphs.

    python benchmarks/check_scaling.py [--no-model] [--sizes 1000,5000,...]

Prints a table of seconds and milliseconds per 1,000 characters for each size and shape, the ratio
between the slowest and the fastest per-character time (linear within a factor of 1.5 is the
target), and the peak memory of the largest case. The text is built from ordinary letter sentences
(names, a phone number, health words, a promise), so every rule has work to do, plus the hostile
case of issue 14 ('認知症' repeated, no sentence end at all).

With the model, GiNZA reads the first 60,000 characters of a text (nlp.MAX_NLP_CHARS) and the
rules read everything; the table says which sizes that covers. The model's own pass is what
dominates there, so the model-free table is the one that shows the rules' own scaling.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.core.checks.nlp import MAX_NLP_CHARS, NlpEngine  # noqa: E402
from desktop_app.core.checks.runner import CheckRunner  # noqa: E402

SENTENCES = [
    "同室の佐藤様と一緒に体操に参加され、笑顔で過ごされました。",
    "先週から右膝の痛みを訴えられ、整形外科で変形性膝関節症と診断されました。",
    "ご長男の健一様（090-1234-5678）にご連絡いたしました。",
    "今後はこのような事故を必ず防いでまいります。",
    "お薬はアムロジピン錠5mgを朝食後に服用されています。",
    "ご要望につきましては、前向きに検討いたします。",
    "食欲も戻り、毎日お元気に過ごされています。",
    "ご不明な点は担当の山本までお問い合わせください。",
]
CONTEXT = {"recipient": {"name": "田中 一郎"}, "subject": {"name": "田中 ハナ"}, "sender": {"name": "山本 真理"},
           "facility": {"name": "特別養護老人ホーム さくら苑", "phone": "03-1234-5678"}}


def build(n: int, shape: str) -> str:
    if shape == "hostile":
        return ("認知症" * (n // 3 + 1))[:n]
    sep = "" if shape == "line" else "\n"
    out, i, total = [], 0, 0
    while total < n:
        # numbered, so that no paragraph repeats (the model's cache would hide the parsing cost)
        sentence = SENTENCES[i % len(SENTENCES)]
        out.append(f"{sentence[:-1]}（その{i}）。")
        total += len(out[-1]) + len(sep)
        i += 1
    return sep.join(out)[:n]


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def measure(runner: CheckRunner, engine: NlpEngine | None, text: str, repeat: int) -> float:
    """CPU seconds of this process (other processes on a shared machine do not count), best of
    `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        if engine is not None:
            engine._cache.clear()  # every size parsed afresh, as a pasted text would be
        t0 = time.process_time()
        runner.check(text, CONTEXT)
        best = min(best, time.process_time() - t0)
    return best


def table(runner: CheckRunner, engine: NlpEngine | None, sizes: list[int], shapes: list[str],
          repeat: int = 3) -> None:
    label = "with the model" if engine else "patterns only (no model)"
    print(f"\n== check time vs length, {label} (CPU seconds, best of {repeat})")
    print(f"{'chars':>8} " + " ".join(f"{s + ' s':>12} {'ms/1k':>7}" for s in shapes))
    per_char: dict[str, list[float]] = {s: [] for s in shapes}
    for n in sizes:
        row = [f"{n:>8}"]
        for shape in shapes:
            secs = measure(runner, engine, build(n, shape), repeat)
            per = secs / n * 1000 * 1000
            per_char[shape].append(per)
            row.append(f"{secs:>12.3f} {per:>7.2f}")
        print(" ".join(row))
    for shape, values in per_char.items():
        # Growth: how much dearer a character is at a size than at the cheapest smaller size. A linear
        # check stays near 1; a quadratic one doubles with every doubling of the length. (Small
        # texts carry a fixed cost per call, so their per-character time is higher, not lower.)
        growth = max((values[k] / min(values[:k]) for k in range(1, len(values))), default=1.0)
        spread = max(values) / max(min(values), 1e-9)
        print(f"{shape}: growth of the time per character with length = {growth:.2f} (target <= 1.5); "
              f"slowest/fastest per character over all sizes = {spread:.2f}")
    if engine:
        print(f"(the model reads the first {MAX_NLP_CHARS:,} characters; beyond that, patterns only)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-model", action="store_true", help="only the model-free table")
    ap.add_argument("--sizes", default="1000,5000,10000,20000,50000,100000,200000")
    ap.add_argument("--model-sizes", default="1000,5000,10000,20000,50000")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    table(CheckRunner(None), None, sizes, ["line", "paragraphs", "hostile"])
    print(f"peak memory (RSS) after the largest model-free case: {peak_rss_mb():.0f} MB")
    if not args.no_model:
        engine = NlpEngine()
        engine.load()
        table(CheckRunner(engine), engine, [int(x) for x in args.model_sizes.split(",")], ["line", "paragraphs"],
              repeat=1)
        print(f"peak memory (RSS) with the model, after the largest case: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
