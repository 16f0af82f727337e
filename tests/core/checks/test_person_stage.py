"""Person detection as its own stage, names without honorifics, and explanations for staff."""

import re

import pytest

from desktop_app.core.checks.rules.health import HealthRule
from desktop_app.core.checks.rules.person import ROLE_WHO, load_person_data
from desktop_app.core.checks.runner import CheckRunner
from desktop_app.core.conventions import honorifics

CTX = {"recipient": {"name": "岡田 直樹"}, "subject": {"name": "岡田 キヨ"}, "sender": {"name": "三好 彩"},
       "facility": {"name": "特別養護老人ホーム ひまわり苑"}}


def test_person_word_lists_live_in_toml():
    d = load_person_data()
    assert "様" in honorifics().after_name and "看護師" in d["role_words"] and d["third_party_before_re"]


@pytest.mark.nlp
def test_health_rule_alone_still_knows_who_is_named(engine):
    """The runner runs the person stage before any rule: no rule depends on another rule's order."""
    runner = CheckRunner(engine, rules=[HealthRule()])
    fs = runner.check("隣室の松井様は肺炎で入院されました。", CTX)
    assert [(f.text, f.severity.value) for f in fs if f.text == "肺炎"] == [("肺炎", "high")]


def persons(runner, text, context=CTX):
    return {f.text: (f.severity.value, dict(f.meta).get("role")) for f in runner.check(text, context)
            if f.category == "pii.person"}


@pytest.mark.nlp
@pytest.mark.parametrize("text,name,role", [
    ("キヨ様は同室の西村トミと毎日お茶を楽しまれています。", "西村トミ", "third_party"),
    ("「髙橋のおばあちゃんがね」とよくお話しされます。", "髙橋", "third_party"),
    ("担当の介護職員グエン・ティ・ランが付き添いました。", "グエン・ティ・ラン", "staff"),
    ("齋藤から改めてご連絡いたします。", "齋藤", "staff"),
    ("先日、娘の由美が面会に来てくれました、とキヨ様が話されました。", "由美", "family"),
    ("お振込みは名義 オカダ ナオキ の口座へいたします。", "オカダ ナオキ", None),
    ("昼食の際、キヨ様は向かいの席の小池ハルと楽しそうにお話しされていました。", "小池ハル", "third_party"),
    ("「ヨシ子は元気にしとるかね」と、妹さんのことを気にかけておられます。", "ヨシ子", None),
    ("マイケル・ジョンソンさんが英語の歌を教えてくださいました。", "マイケル・ジョンソン", "third_party"),
    ("松井様（同室）と将棋を指されました。", "松井", "third_party"),
])
def test_names_without_honorifics(runner, text, name, role):
    got = persons(runner, text)
    assert name in got, got
    if role == "third_party":
        assert got[name] == ("high", "third_party")
    elif role:
        assert got[name][0] == "low", got


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "職員のミーティングで話し合いました。",
    "ご家族で別府旅行に行かれたそうですね。",
    "会場は中央公民館（青葉区本町2丁目8番地）です。",
    "毎日が豊かに感じられます。",
])
def test_words_that_are_not_people(runner, text):
    ctx = dict(CTX, recipient={"name": "別府 豊"})
    got = persons(runner, text, ctx)
    assert got == {}, got


@pytest.mark.nlp
def test_person_explanation_says_who_and_why_in_plain_japanese(runner):
    fs = [f for f in runner.check("同室の松井様と散歩されました。担当の三好がご案内しました。", CTX)
          if f.category == "pii.person"]
    assert fs
    for f in fs:
        role = dict(f.meta)["role"]
        assert ROLE_WHO[role] in f.explanation
        assert not re.search(r"[A-Za-z]|品詞|固有表現|規則", f.message + f.explanation), f.explanation
