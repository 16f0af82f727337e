"""Risky wording read from the dependency parse: fresh sentences (not from any letter of the corpus),
whole-clause spans, and suggestions that leave a sentence a family can read."""

import re

import pytest

from desktop_app.core.checks.rules.risk import DependencyRiskRule, load_risk_data

pytestmark = pytest.mark.nlp

CTX = {"recipient": {"name": "岡田 直樹"}, "subject": {"name": "岡田 キヨ"}, "sender": {"name": "三好 彩"},
       "facility": {"name": "特別養護老人ホーム ひまわり苑"}}


def risks(runner, text):
    return [(f.category, f.text) for f in runner.check(text, CTX) if f.category.startswith("risk.")]


FOUND = [
    ("今後はこのような転倒を必ず防いでまいります。", "risk.commitment", "このような転倒を必ず防いでまいります"),
    ("お母様の足の痛みは、必ず良くなります。", "risk.commitment", "必ず良くなります"),
    ("次の更新では、確実に要介護3の認定が下ります。", "risk.commitment", "確実に要介護3の認定が下ります"),
    ("同じ過ちは二度と繰り返しません。", "risk.commitment", "同じ過ちは二度と繰り返しません"),
    ("職員一同、このような見落としは決していたしません。", "risk.commitment", "このような見落としは決していたしません"),
    ("お預かりした眼鏡を絶対に紛失することはありません。", "risk.commitment", "絶対に紛失することはありません"),
    ("同様の転倒は決して起こさないよう万全を期します。", "risk.commitment", "同様の転倒は決して起こさないよう万全を期します"),
    ("今回の誤薬は、看護職員の確認ミスによるものです。", "risk.liability", "今回の誤薬は、看護職員の確認ミスによるものです"),
    ("お部屋の床が濡れていたのは当施設の不手際でございます。", "risk.liability", "お部屋の床が濡れていたのは当施設の不手際でございます"),
    ("破損した補聴器の修理代は、当施設でお支払いいたします。", "risk.liability", "破損した補聴器の修理代は、当施設でお支払いいたします"),
    ("転倒によるけがの治療費は施設で負担させていただきます。", "risk.liability", "転倒によるけがの治療費は施設で負担させていただきます"),
    ("外出の回数を増やしてほしいとのご要望は、前向きに考えさせていただきます。", "risk.ambiguous", "前向きに考えさせていただきます"),
    ("居室の変更につきましては、できるだけご希望に添えるよう努力いたします。", "risk.ambiguous", "できるだけご希望に添えるよう努力いたします"),
    ("食事の形態については、ご要望の線で調整してまいります。", "risk.ambiguous", "ご要望の線で調整してまいります"),
    ("散歩の時間を延ばす件は、善処いたします。", "risk.ambiguous", "善処いたします"),
    ("同じような転倒が起きないことを固くお約束いたします。", "risk.commitment", "同じような転倒が起きないことを固くお約束いたします"),
    ("今年度中に誤薬をゼロにいたします。", "risk.commitment", "誤薬をゼロにいたします"),
    ("夜勤の職員が目を離したことが原因でした。", "risk.liability", "夜勤の職員が目を離したことが原因でした"),
    ("面会時間の延長については、後日お知らせするかもしれません。", "risk.ambiguous", "後日お知らせするかもしれません"),
]

NOT_FOUND = [
    "お薬は必ず食後にお飲みください。",
    "面会時は必ずマスクを着用してください。",
    "結果は必ずしも良いとは限りません。",
    "夕方には必ず職員が居室を巡回しております。",
    "変更がある場合は、必ず事前にお電話でご連絡いたします。",
    "事故の防止に全力で取り組んでまいります。",
    "決して見落とさないよう努めてまいります。",
    "詳しくはフロア責任者までお尋ねください。",
    "施設内での紛失につきましては責任を負いかねますのでご了承ください。",
    "おむつ代は実費をご負担いただきます。",
    "振込手数料は当社が負担いたします。",
    "居室の変更は、3月10日までに可否をご連絡いたします。",
    "ご本人は前向きにリハビリに取り組まれています。",
    "医師から絶対安静との指示がありました。",
    "費用は一切かかりません。",
]


@pytest.mark.parametrize("text,category,span", FOUND)
def test_risky_clause_is_found_whole(runner, text, category, span):
    got = risks(runner, text)
    assert (category, span) in got or any(c == category and span in t for c, t in got), got


@pytest.mark.parametrize("text", NOT_FOUND)
def test_safe_sentence_is_quiet(runner, text):
    assert risks(runner, text) == []


SENTENCE_END = re.compile(r"(?:ます|ました|ません|です|でした|ございます|ください)。$")


def apply_first(text: str, finding) -> str:
    return text[:finding.start] + finding.suggestions[0] + text[finding.end:]


def first_suggestions_clear_the_risk(runner, text, ctx, no_fix_words=("改め", "書き方")) -> list:
    """Each risky finding's first suggestion, applied, leaves no risk (a finding with no safe rewrite says
    what to do instead, in one of `no_fix_words`). Returns (finding, fixed text) for further checks."""
    findings = [f for f in runner.check(text, ctx) if f.category.startswith("risk.")]
    assert findings
    fixed_texts = []
    for f in findings:
        if not f.suggestions:
            assert any(w in f.explanation for w in no_fix_words)
            continue
        fixed = apply_first(text, f)
        again = [g for g in runner.check(fixed, ctx) if g.category.startswith("risk.")]
        assert again == [], (fixed, [(g.category, g.text) for g in again])
        fixed_texts.append((f, fixed))
    return fixed_texts


@pytest.mark.parametrize("text", [t for t, _, _ in FOUND] + [
    "毎日通院されていますが、必ず治ります。",
    "今後、このような事故は決して起こさないとお約束いたします。",
    "個室へのご移動につきましては、前向きに検討いたします。",
    "今回の件は、すべて当方の責任です。",
])
def test_first_suggestion_leaves_a_readable_sentence_without_risk(runner, text):
    for _f, fixed in first_suggestions_clear_the_risk(runner, text, CTX):
        assert SENTENCE_END.search(fixed), fixed


def test_promise_of_recovery_gets_a_recovery_suggestion_not_a_recurrence_one(runner):
    f = [f for f in runner.check("毎日通院されていますが、必ず治ります。", CTX) if f.category == "risk.commitment"][0]
    assert "再発" not in f.suggestions[0]


def test_promise_without_a_safe_rewrite_offers_none(runner):
    fs = [f for f in runner.check("来月には必ず個室が空きます。", CTX) if f.category == "risk.commitment"]
    assert fs and fs[0].suggestions == ()
    assert "書き方" in fs[0].explanation


def test_explanations_are_plain_japanese(runner):
    text = "今回の件は当施設の過失でございます。必ず再発を防ぎます。ご要望は前向きに検討いたします。"
    for f in runner.check(text, CTX):
        if f.category.startswith("risk."):
            assert not re.search(r"[A-Za-z]", f.message + f.explanation), f.explanation
            assert f.rule_id  # the id stays a separate field


def test_rule_data_lists_are_complete():
    d = load_risk_data()
    assert {"commitment", "liability", "ambiguous"} <= set(d)
    assert DependencyRiskRule(d).adverbs
