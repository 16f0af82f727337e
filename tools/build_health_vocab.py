"""Build resources/vocab/health_terms.tsv, the health rule's medical vocabulary, from the MANBYO list.

    python tools/build_health_vocab.py [--csv ../shared/data/manbyo/manbyo_terms.csv]

The 万病辞書 (MANBYO, Social Computing Lab, NAIST; CC BY 4.0) names about 73,000 diseases and
symptoms as they are written in clinical records. It was made for medical records, so it also
holds words that are ordinary in a letter (心配, 様子, 記録 …) and abbreviations that collide with
everyday Latin letters. This script keeps only what names a condition:

* the row's ICD-10 code is a condition: chapters A-T (infections, tumours, diseases, symptoms R,
  injuries S/T); rows without a code (-1), Z (factors and status), O/P (pregnancy, perinatal) and
  external causes (V-Y) are left out;
* the surface form is 2-24 characters after NFKC, holds Japanese script (no bare abbreviations),
  is not two kana alone, and is not on the stop list of ordinary words below.

The output is a sorted UTF-8 TSV (term, ICD-10 code) with a credit header; the app loads it into a
dict at start (about 30 ms), and the rule matches it on the tokenizer's word boundaries.
"""

from __future__ import annotations

import argparse
import csv
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "manbyo" / "manbyo_terms.csv"
OUT = ROOT / "resources" / "vocab" / "health_terms.tsv"

KEEP_CHAPTERS = set("ABCDEFGHIJKLMNQRST")
MIN_LEN, MAX_LEN = 2, 24
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Two kana alone (よう, せつ, かぜ) are far more often ordinary words than the condition they spell.
KANA_ONLY = re.compile(r"[\u3040-\u30ff]+")

# Ordinary words of a letter that the dictionary lists because clinical notes use them as findings.
# Feelings, states and everyday events are not diagnoses: a letter saying 心配 or 転倒 is not health
# data by that word alone (the fall's injury is).
STOP = {
    # feelings and moods
    "心配", "不安", "緊張", "興奮", "ストレス", "落ち込み", "イライラ", "いらいら", "不機嫌", "悲しみ", "孤独",
    "寂しさ", "退屈", "焦り", "怒り", "動揺", "困惑", "混乱", "悩み", "苦痛", "号泣", "泣き", "笑い",
    # everyday states and words of a care record
    "負担", "様子", "記録", "元気", "疲れ", "疲労", "眠気", "寝不足", "空腹", "満腹", "寒気", "冷え", "活気",
    "不調", "体調不良", "違和感", "不快感", "異常", "変化", "低下", "悪化", "障害", "症状", "異常なし",
    "問題なし", "加齢", "老化", "高齢", "睡眠", "食欲", "排便", "排尿", "汗", "発汗", "涙", "ため息", "大声",
    "拒否", "拒絶", "抵抗", "依存", "迷子", "迷惑", "物音", "騒音", "痛い", "苦しい", "つらい", "辛い",
    "しんどい", "くしゃみ", "しゃっくり", "鼻水", "酔い", "乗り物酔い", "車酔い", "時差ぼけ", "夏バテ",
    "夏ばて", "二日酔い", "日焼け", "忘れ", "ぐらつき",
    # vital signs and measurements (the letter's "血圧は安定" is a reading, not a condition)
    "血圧", "体温", "脈拍", "体重", "血糖", "血糖値", "呼吸", "酸素飽和度", "尿量", "食事量",
    # a normal reading is no finding (平熱で過ごされました)
    "平熱", "正常", "正常値", "平常",
    # events and care activities (the injury or diagnosis after them is what counts)
    "転倒", "転落", "転ぶ", "落下", "衝突", "けが", "怪我", "ケガ", "妊娠", "出産", "分娩", "介護", "介助",
    "入院", "通院", "手術", "治療", "処置", "点滴", "検査", "受診", "服薬", "投薬", "麻酔", "食事", "摂取",
    "水分", "歩行", "移動", "座位", "臥位", "立ち上がり", "死亡", "逝去", "死去", "永眠",
}


def keep(term: str, codes: str) -> bool:
    if not (MIN_LEN <= len(term) <= MAX_LEN) or not JAPANESE.search(term):
        return False
    if term in STOP or (len(term) <= 2 and KANA_ONLY.fullmatch(term)):
        return False
    first = codes.split(",")[0].strip()
    return bool(first) and first[0] in KEEP_CHAPTERS and first != "-1"


def build(csv_path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(csv_path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2:
                continue
            term = unicodedata.normalize("NFKC", row[0]).strip().replace(" ", "")
            codes = row[1].strip()
            if keep(term, codes):
                out.setdefault(term, codes.split(",")[0].strip())
    return out


HEADER = """# Health vocabulary of the letter check, derived from 万病辞書 (MANBYO), Social Computing Lab, NAIST.
# Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Filtered by tools/build_health_vocab.py:
# ICD-10 chapters A-T only, 2-24 characters, a stop list of ordinary words. Columns: term, ICD-10 code.
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    terms = build(args.csv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER)
        for term in sorted(terms):
            f.write(f"{term}\t{terms[term]}\n")
    print(f"{len(terms)} terms -> {args.out}")


if __name__ == "__main__":
    main()
