"""Scores the check on the labelled development corpus, beside raw ja_ginza NER as a baseline.

    python benchmarks/check_quality.py [--corpus ../shared/eval/letters_dev.jsonl] [--show 20]

Runs `desktop-app check --jsonl` (the product's own CLI contract) and the corpus's scorer.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "eval" / "letters_dev.jsonl"

# GiNZA's extended named-entity labels mapped onto our categories (the baseline).
NER_MAP = {
    "Person": "pii.person", "Postal_Address": "pii.address", "Phone_Number": "pii.phone", "Email": "pii.email",
    "Age": "pii.age", "Disease_Other": "pii.health", "Animal_Disease": "pii.health", "URL": "pii.email",
}


def run_product(corpus: Path, out: Path) -> float:
    t0 = time.perf_counter()
    with open(out, "w", encoding="utf-8") as f:
        proc = subprocess.run([sys.executable, "-m", "desktop_app", "check", "--jsonl", str(corpus)],
                              stdout=f, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    if proc.returncode not in (0, 1):
        sys.exit(f"check failed ({proc.returncode}): {proc.stderr}")
    return time.perf_counter() - t0


def run_baseline(corpus: Path, out: Path) -> None:
    import spacy

    nlp = spacy.load("ja_ginza")
    with open(corpus, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        for line in f:
            rec = json.loads(line)
            doc = nlp(rec["text"])
            findings = [{"start": e.start_char, "end": e.end_char, "category": NER_MAP[e.label_],
                         "severity": "high" if e.label_ == "Person" else "medium"}
                        for e in doc.ents if e.label_ in NER_MAP]
            o.write(json.dumps({"id": rec["id"], "findings": findings}, ensure_ascii=False) + "\n")


def score(scorer: Path, corpus: Path, pred: Path, show: int) -> str:
    return subprocess.run([sys.executable, str(scorer), str(corpus), str(pred), "--show", str(show)],
                          capture_output=True, text=True, check=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--scorer", type=Path, default=None)
    ap.add_argument("--show", type=int, default=0, help="list up to N misses and false alarms")
    args = ap.parse_args()
    scorer = args.scorer or args.corpus.parent / "score_check.py"
    if not args.corpus.exists() or not scorer.exists():
        sys.exit(f"corpus or scorer not found: {args.corpus}, {scorer}")
    with tempfile.TemporaryDirectory() as tmp:
        pred, base = Path(tmp) / "pred.jsonl", Path(tmp) / "baseline.jsonl"
        seconds = run_product(args.corpus, pred)
        run_baseline(args.corpus, base)
        ours, theirs = score(scorer, args.corpus, pred, args.show), score(scorer, args.corpus, base, 0)
    print(f"== desktop-app check ({args.corpus.name}, {seconds:.1f} s including model load)")
    print(ours)
    print("== baseline: raw ja_ginza NER labels mapped to our categories")
    print(theirs)


if __name__ == "__main__":
    main()
