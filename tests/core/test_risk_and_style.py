"""Risky wording and etiquette, as tables of texts (no model needed)."""

import pytest


def found(runner, text, category, context=None):
    return [f.text for f in runner.check(text, context or {}) if f.category == category]


@pytest.mark.parametrize("text,category", [
    ("今後、このような事故は二度と起こしません。", "risk.commitment"),
    ("必ず再発を防ぎます。", "risk.commitment"),
    ("転倒は今後一切ございません。", "risk.commitment"),
    ("絶対に転倒させません。", "risk.commitment"),
    ("リハビリを続ければ必ず治ります。", "risk.commitment"),
    ("職員の不注意が原因でございます。", "risk.liability"),
    ("今回の件は、すべて当方の責任です。", "risk.liability"),
    ("治療費は全額負担いたします。", "risk.liability"),
    ("眼鏡の破損につきましては、弁償いたします。", "risk.liability"),
    ("個室へのご移動につきましては、前向きに検討いたします。", "risk.ambiguous"),
    ("ご要望については善処いたします。", "risk.ambiguous"),
    ("できる限りご希望に沿うようにいたします。", "risk.ambiguous"),
])
def test_risky_wording_is_found(pattern_runner, text, category):
    assert found(pattern_runner, text, category), text


@pytest.mark.parametrize("text", [
    "再発防止に努めてまいります。",
    "転倒予防の取り組みを続けてまいります。",
    "必ずしもご希望に沿えない場合がございます。",
    "お約束の時間にお越しください。",
    "医師から絶対安静との指示がありました。",
    "ご不明な点は責任者までお問い合わせください。",
    "担当者よりご連絡いたします。",
    "面会の際は必ず受付でお名前をご記入ください。",
    "郵送料は当社が負担いたします。",
    "ご心配をおかけし、申し訳ございません。",
    "貴重品の紛失については責任を負いかねます。",
    "日程が決まりましたら改めてご連絡いたします。",
    "毎日前向きな気持ちで過ごされています。",
])
def test_safe_wording_is_not_flagged(pattern_runner, text):
    risks = [f for f in pattern_runner.check(text) if f.category.startswith("risk.")]
    assert not risks, [(f.category, f.text) for f in risks]


def test_commitment_span_starts_at_the_topic():
    from desktop_app.core.checks.runner import CheckRunner

    text = "今後、このような事故は決して起こさないとお約束いたします。"
    spans = [f.text for f in CheckRunner(None).check(text) if f.category == "risk.commitment"]
    assert spans == ["このような事故は決して起こさないとお約束いたします"]


def test_liability_span_starts_at_the_sentence():
    from desktop_app.core.checks.runner import CheckRunner

    text = "巡回が遅れました。夜勤職員の巡回が遅れたことによる当施設の過失でございます。深くお詫びします。"
    spans = [f.text for f in CheckRunner(None).check(text) if f.category == "risk.liability"]
    assert spans == ["夜勤職員の巡回が遅れたことによる当施設の過失でございます"]


def test_risk_finding_has_message_explanation_and_suggestion(pattern_runner):
    f = [f for f in pattern_runner.check("二度とこのようなことは起こしません。") if f.category == "risk.commitment"][0]
    assert f.message and f.explanation and f.suggestions and "努め" in f.suggestions[0]
    assert f.severity.value == "high"


LETTER = "{head}　{season}の候、皆様にはご清祥のこととお喜び申し上げます。\nさて、ご報告です。\n{tail}\n\n{date}\n施設長　山本 一郎\n"


@pytest.mark.parametrize("head,tail,ok", [
    ("拝啓", "敬具", True), ("謹啓", "謹白", True), ("拝復", "敬具", True),
    ("拝啓", "草々", False), ("前略", "敬具", False), ("謹啓", "敬具", False),
])
def test_salutation_pairs(pattern_runner, head, tail, ok):
    text = LETTER.format(head=head, tail=tail, season="晩秋", date="令和8年11月22日")
    bad = found(pattern_runner, text, "style.salutation_pair")
    assert (not bad) == ok


@pytest.mark.parametrize("season,date,ok", [
    ("晩秋", "令和8年11月22日", True), ("向寒", "令和8年11月2日", True), ("新緑", "令和8年11月22日", False),
    ("盛夏", "2026年7月10日", True), ("初春", "令和8年7月10日", False), ("師走", "令和元年12月1日", True),
])
def test_season_greeting_matches_the_letter_month(pattern_runner, season, date, ok):
    text = LETTER.format(head="拝啓", tail="敬具", season=season, date=date)
    bad = found(pattern_runner, text, "style.season")
    assert (not bad) == ok, bad


def test_season_date_from_context_wins():
    from desktop_app.core.checks.runner import CheckRunner

    text = "拝啓　新緑の候、お喜び申し上げます。\n敬具\n"
    assert [f for f in CheckRunner(None).check(text, {"date": "2026-05-10"}) if f.category.startswith("style.season")] == []
    assert [f for f in CheckRunner(None).check(text, {"date": "2026-11-10"}) if f.category == "style.season"]


def test_season_after_zenryaku_is_flagged(pattern_runner):
    text = "前略　晩秋の候、取り急ぎご連絡いたします。\n草々\n\n令和8年11月22日\n"
    assert found(pattern_runner, text, "style.season_after_zenryaku")


def test_imikotoba_in_condolence_are_warnings(pattern_runner):
    text = "ご逝去の報に接し、重ね重ねお悔やみ申し上げます。再びお会いできないことが残念です。\n"
    fs = [f for f in pattern_runner.check(text, {"type": "condolence"}) if f.category == "style.imikotoba"]
    assert {f.text for f in fs} == {"重ね重ね", "再び"}
    assert all(f.severity.value == "low" for f in fs)


def test_imikotoba_outside_condolence_are_fine(pattern_runner):
    assert not found(pattern_runner, "ますますご清祥のこととお喜び申し上げます。", "style.imikotoba")
