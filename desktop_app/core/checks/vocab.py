"""The compiled medical vocabulary (from 万病辞書 MANBYO) and its credit, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from desktop_app.core.resources import resources_dir

# Shown in the README and the About dialog: MANBYO is distributed under CC BY 4.0, which asks for it.
CREDIT = (
    "健康情報の確認には「万病辞書（MANBYO）」（奈良先端科学技術大学院大学 ソーシャル・コンピューティング研究室）"
    "を加工して使用しています。ライセンス：CC BY 4.0（https://creativecommons.org/licenses/by/4.0/）"
)
CREDIT_EN = (
    "Health vocabulary derived from MANBYO (万病辞書), Social Computing Lab, NAIST, "
    "licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); filtered by tools/build_health_vocab.py."
)


@dataclass(frozen=True)
class HealthVocab:
    terms: dict[str, str]  # term (NFKC, full-width ASCII folded) -> ICD-10 code
    max_len: int

    def __contains__(self, term: str) -> bool:
        return term in self.terms

    def __len__(self) -> int:
        return len(self.terms)


def vocab_path() -> Path:
    return resources_dir() / "vocab" / "health_terms.tsv"


@lru_cache(maxsize=2)
def load_health_vocab(path: Path | None = None) -> HealthVocab:
    """Read the TSV built by tools/build_health_vocab.py (about 57,000 terms, ~30 ms)."""
    try:
        raw = (path or vocab_path()).read_text(encoding="utf-8")
    except OSError:  # a broken install: the hand list in health.toml still works
        raw = ""
    terms = dict(line.split("\t", 1) for line in raw.split("\n") if line and line[0] != "#" and "\t" in line)
    return HealthVocab(terms=terms, max_len=max(map(len, terms), default=0))
