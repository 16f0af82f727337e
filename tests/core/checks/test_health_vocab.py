"""The health rule on the MANBYO vocabulary: the compiled list, its credit, and fresh sentences."""

import re
from pathlib import Path

import pytest

from desktop_app.core.checks.vocab import CREDIT, CREDIT_EN, load_health_vocab, vocab_path

ROOT = Path(__file__).resolve().parents[3]
CSV = ROOT.parent / "shared" / "data" / "manbyo" / "manbyo_terms.csv"
CTX = {"recipient": {"name": "岡田 直樹"}, "subject": {"name": "岡田 キヨ"}, "sender": {"name": "三好 彩"},
       "facility": {"name": "特別養護老人ホーム ひまわり苑"}}


def test_compiled_vocabulary_ships_in_the_repo():
    # its load time is printed by benchmarks/check_speed.py, not asserted here
    assert vocab_path().is_relative_to(ROOT / "resources")
    load_health_vocab.cache_clear()
    vocab = load_health_vocab()
    assert len(vocab) > 40000
    assert "肺気腫" in vocab and "誤嚥性肺炎" in vocab
    for ordinary in ("心配", "負担", "様子", "記録", "元気", "転倒", "よう"):
        assert ordinary not in vocab, ordinary


def test_credit_names_manbyo_and_the_licence():
    assert "万病辞書" in CREDIT and "CC BY 4.0" in CREDIT
    assert "MANBYO" in CREDIT_EN and "CC BY 4.0" in CREDIT_EN
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "万病辞書" in readme and "CC BY 4.0" in readme
    assert "CC BY 4.0" in vocab_path().read_text(encoding="utf-8")[:400]


@pytest.mark.skipif(not CSV.exists(), reason="the MANBYO CSV lives in ../shared, outside the repo")
def test_build_script_reproduces_the_shipped_list(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "terms.tsv"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_health_vocab.py"), "--csv", str(CSV), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == vocab_path().read_text(encoding="utf-8")


def health(runner, text, context=CTX):
    return [(f.text, f.severity.value) for f in runner.check(text, context) if f.category == "pii.health"]


@pytest.mark.nlp
@pytest.mark.parametrize("text,word", [
    ("キヨ様は先週から咳と微熱が続き、気管支炎と診断されました。", "気管支炎"),
    ("右肩の打撲の跡が青くなっております。", "右肩の打撲"),
    ("左手の甲の皮膚の赤みは薄くなってきました。", "左手の甲の皮膚の赤み"),
    ("朝食前にロキソプロフェン錠60mgを服用されています。", "ロキソプロフェン錠60mg"),
    ("夜間に大声を出される不穏な状態が見られました。", "不穏"),
    ("最近は昼夜逆転の傾向があり、日中うとうとされています。", "昼夜逆転"),
    ("夕方になると帰宅願望が強くなられます。", "帰宅願望"),
    ("主治医から慢性閉塞性肺疾患の悪化と説明がありました。", "慢性閉塞性肺疾患"),
    ("持病の痛風の発作が出て、足の親指が腫れております。", "痛風"),
    ("人工膝関節置換術を受けられ、順調に回復されています。", "人工膝関節置換術"),
    ("食欲の低下が続いております。", "食欲の低下"),
    ("毎朝アムロジピンを服用されています。", "アムロジピン"),
])
def test_conditions_about_the_resident_are_found(runner, text, word):
    assert word in [t for t, _ in health(runner, text)], health(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "ご心配をおかけしましたが、お元気に過ごされています。",
    "毎日の様子を記録しております。",
    "インフルエンザの予防接種を11月に行います。",
    "要介護2以上の方が対象となります。",
    "認知症の方への接し方を学ぶ講座を開きます。",
    "感染症が流行しておりますので、手洗いにご協力ください。",
    "車椅子で中庭を散歩されました。",
    "看護師によると、血圧は安定しているとのことです。",
    "季節の変わり目ですので、皆様も風邪などひかれませんようご自愛ください。",
    "温かいコーヒーを飲まれ、リハビリの処方についてもお話ししました。",
])
def test_ordinary_words_and_generic_statements_stay_quiet(runner, text):
    assert health(runner, text) == []


@pytest.mark.nlp
def test_health_in_a_notice_is_quiet_unless_a_person_is_named(runner):
    notice = {"facility": {"name": "ひまわり苑"}, "recipient": {"name": None}, "subject": {"name": None},
              "sender": {"name": "三好 彩"}}
    assert health(runner, "急な発熱や下痢の場合はご連絡ください。", notice) == []
    assert health(runner, "参加された村田トミ様が当日に発熱されました。", notice)


@pytest.mark.nlp
def test_another_residents_health_in_the_same_clause_is_high(runner):
    got = health(runner, "隣室の松井様は肺炎で入院されました。")
    assert ("肺炎", "high") in got
    visit = health(runner, "同じフロアの石川様も、同じ症状で通院されています。")
    assert visit and all(sev == "high" for _, sev in visit)
    own = health(runner, "キヨ様は肺炎で入院されました。")
    assert own == [("肺炎", "medium")]


@pytest.mark.nlp
def test_health_explanation_names_whom_it_is_about(runner):
    fs = [f for f in runner.check("隣室の松井様は肺炎で入院されました。キヨ様は微熱がありました。", CTX)
          if f.category == "pii.health"]
    third = [f for f in fs if f.text == "肺炎"][0]
    own = [f for f in fs if f.text == "微熱"][0]
    assert "他の利用者様" in third.explanation
    assert "利用者様ご本人" in own.explanation or "キヨ" in own.explanation
    for f in fs:
        plain = re.sub(r"「[^」]*」", "", f.message + f.explanation)
        assert not re.search(r"[A-Za-z]", plain), plain
