"""Every finding speaks to staff in plain Japanese: no rule ids, part-of-speech names or English."""

import re

import pytest

LETTER = (
    "岡田 直樹 様\n"
    "キヨ様は、同室の松井様と体操に参加されました。松井様は先週、肺炎で入院されました。\n"
    "キヨ様は右膝の痛みがあり、ロキソプロフェン錠60mgを服用されています。昭和10年5月3日生まれ、87歳です。\n"
    "ご長男の健一様（090-1234-5678、kenichi.okada@example.jp）にもご連絡しました。\n"
    "ご自宅（名古屋市昭和区八事本町15番地の3）への送迎は、前向きに検討いたします。\n"
    "今回の転倒は当施設の過失でございます。今後、必ず再発を防ぎます。\n"
)
CTX = {"recipient": {"name": "岡田 直樹"}, "subject": {"name": "岡田 キヨ"}, "sender": {"name": "三好 彩"},
       "facility": {"name": "特別養護老人ホーム ひまわり苑"}}


def plain(s: str) -> str:
    """The text without what it quotes from the letter (「…」 may hold a drug name, an address)."""
    return re.sub(r"「[^」]*」", "", s)


@pytest.mark.nlp
def test_every_pii_and_risk_finding_explains_itself_in_plain_japanese(runner):
    findings = [f for f in runner.check(LETTER, CTX) if f.category.startswith(("pii.", "risk."))]
    cats = {f.category for f in findings}
    assert {"pii.person", "pii.health", "pii.phone", "pii.email", "pii.address", "pii.birthdate", "pii.age",
            "risk.liability", "risk.commitment", "risk.ambiguous"} <= cats, cats
    for f in findings:
        text = plain(f.message + f.explanation)
        assert f.message and f.explanation
        assert not re.search(r"[A-Za-z]", text), (f.category, text)
        assert not re.search(r"品詞|固有表現|規則|Person|rule", text), (f.category, text)
        assert f.rule_id  # the id stays in its own field for the JSON


@pytest.mark.nlp
def test_explanations_say_whose_data_it_seems_to_be(runner):
    findings = runner.check(LETTER, CTX)
    by_text = {f.text: f for f in findings}
    assert "他の利用者様" in by_text["肺炎"].explanation
    assert "ご家族" in by_text["090-1234-5678"].explanation
    assert "利用者様ご本人" in by_text["岡田 キヨ" if "岡田 キヨ" in by_text else "キヨ"].explanation
