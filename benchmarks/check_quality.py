"""Scores the check on the labelled development corpus, beside raw ja_ginza NER as a baseline.

    python benchmarks/check_quality.py [--corpus ../shared/eval/letters_dev.jsonl] [--show 20] [--split 20]
                                       [--prose ../shared/eval/prose_names_dev.jsonl | --no-prose]

Runs `desktop-app check --jsonl` (the product's own CLI contract) and the corpus's scorer, for each part
of the corpus separately: the first `--split` letters (d001-d020, on which the rules were first
written) and the rest (d021-d050, from other facilities and writers), and prints the gap between
them: a large gap means the rules learned the letters rather than the language.

Then the same for names in ordinary prose (`prose_names_dev.jsonl`: Wikipedia sentences whose people carry no
様 or さん), beside raw ja_ginza's Person entities on the same sentences: person recall and precision.
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
DEFAULT_PROSE = ROOT.parent / "shared" / "eval" / "prose_names_dev.jsonl"

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


def score_json(scorer: Path, corpus: Path, pred: Path) -> dict:
    out = subprocess.run([sys.executable, str(scorer), str(corpus), str(pred), "--json"],
                         capture_output=True, text=True, check=True).stdout
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return {}


def summary_figures(scored: dict) -> dict[str, float]:
    """The figures the targets are stated in, from the scorer's JSON (missing keys are left out)."""
    out: dict[str, float] = {}
    cats = scored.get("table") or {}
    for key in ("pii", "pii.person", "pii.health", "risk.commitment", "risk.liability", "risk.ambiguous"):
        c = cats.get(key)
        if isinstance(c, dict):
            for m in ("recall", "precision"):
                if isinstance(c.get(m), (int, float)):
                    out[f"{key} {m}"] = float(c[m])
    for key, value in scored.items():
        if key.endswith(("_recall", "_precision")) and isinstance(value, (int, float)):
            out[key] = float(value)
    return out


def split_corpus(corpus: Path, split: int, tmp: Path) -> list[tuple[str, Path]]:
    lines = [x for x in corpus.read_text(encoding="utf-8").splitlines() if x.strip()]
    parts = [("all", lines)]
    if 0 < split < len(lines):
        first, rest = lines[:split], lines[split:]
        ids = [json.loads(x)["id"] for x in lines]
        parts = [(f"{ids[0]}-{ids[split - 1]}", first), (f"{ids[split]}-{ids[-1]}", rest)]
    out = []
    for name, part in parts:
        path = tmp / f"part_{name}.jsonl"
        path.write_text("\n".join(part) + "\n", encoding="utf-8")
        out.append((name, path))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--scorer", type=Path, default=None)
    ap.add_argument("--show", type=int, default=0, help="list up to N misses and false alarms")
    ap.add_argument("--split", type=int, default=20, help="letters in the first part (0: score the corpus whole)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the raw-NER baseline")
    ap.add_argument("--prose", type=Path, default=DEFAULT_PROSE, help="names in ordinary prose (JSONL)")
    ap.add_argument("--no-prose", action="store_true", help="skip the prose-name figures")
    args = ap.parse_args()
    scorer = args.scorer or args.corpus.parent / "score_check.py"
    if not args.corpus.exists() or not scorer.exists():
        sys.exit(f"corpus or scorer not found: {args.corpus}, {scorer}")
    with tempfile.TemporaryDirectory() as tmp:
        figures: dict[str, dict[str, float]] = {}
        for name, part in split_corpus(args.corpus, args.split, Path(tmp)):
            pred, base = Path(tmp) / f"pred_{name}.jsonl", Path(tmp) / f"baseline_{name}.jsonl"
            seconds = run_product(part, pred)
            print(f"== desktop-app check on {name} ({seconds:.1f} s including model load)")
            print(score(scorer, part, pred, args.show))
            figures[name] = summary_figures(score_json(scorer, part, pred))
            if not args.no_baseline:
                run_baseline(part, base)
                print(f"== baseline on {name}: raw ja_ginza NER labels mapped to our categories")
                print(score(scorer, part, base, 0))
        if len(figures) == 2:
            (a, fa), (b, fb) = figures.items()
            keys = [k for k in fa if k in fb]
            if keys:
                print(f"== gap between the parts ({a} minus {b})")
                for k in keys:
                    print(f"{k:<40} {fa[k]:.3f} - {fb[k]:.3f} = {fa[k] - fb[k]:+.3f}")
        if not args.no_prose:
            prose_figures(args.prose, scorer, Path(tmp), args.show, not args.no_baseline)


def prose_figures(prose: Path, scorer: Path, tmp: Path, show: int, baseline: bool) -> None:
    """Names without 様: the product and raw ja_ginza on the same sentences, person recall and precision."""
    if not prose.exists():
        print(f"== prose names: {prose} not found, skipped")
        return
    pred, base = tmp / "pred_prose.jsonl", tmp / "baseline_prose.jsonl"
    seconds = run_product(prose, pred)
    runs = [("desktop-app check", pred)]
    if baseline:
        run_baseline(prose, base)
        runs.append(("raw ja_ginza Person", base))
    n = sum(1 for line in prose.read_text(encoding="utf-8").splitlines() if line.strip())
    print(f"== names in ordinary prose: {prose.name}, {n} sentences ({seconds:.1f} s for the check)")
    for name, path in runs:
        person = (score_json(scorer, prose, path).get("table") or {}).get("pii.person") or {}
        recall, precision = person.get("recall"), person.get("precision")
        if isinstance(recall, (int, float)) and isinstance(precision, (int, float)):
            print(f"{name:<22} pii.person recall {recall:.3f}  precision {precision:.3f}")
        else:
            print(f"{name:<22} (no pii.person figures from the scorer)")
    if show:
        print(score(scorer, prose, pred, show))


if __name__ == "__main__":
    main()
