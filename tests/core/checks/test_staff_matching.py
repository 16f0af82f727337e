"""A staff member from the facility's profile is matched by the full name, or by the surname written as staff
are written; a given name alone never makes a colleague (issue 21: 田中 一郎 stayed 'staff' because the
facility employs 佐藤 一郎, so another resident's name and their 入院 passed as a colleague's)."""

import pytest

CTX = {"recipient": {"name": "山口 和子"}, "subject": {"name": "山口 トメ"}, "sender": {"name": "木下 由美"},
       "facility": {"name": "特別養護老人ホーム さくら苑", "staff": ["佐藤 一郎", "木下 由美", "原田 ゆかり"]}}


def persons(runner, text):
    return {f.text.replace("\u3000", " "): (f.severity.value, dict(f.meta).get("role"))
            for f in runner.check(text, CTX) if f.category == "pii.person"}


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("同じフロアの田中 一郎様が先週から入院されています。", "田中 一郎"),
    ("田中一郎さんの件で、ご家族からお問い合わせがありました。", "田中一郎"),
    ("隣のお部屋の川村 由美様が、トメ様と歌を歌われました。", "川村 由美"),
    ("食堂で相席の石川 ゆかり様にお菓子を分けていただきました。", "石川 ゆかり"),
    ("隣室の佐藤様が夜間に転倒されました。", "佐藤"),
])
def test_a_shared_given_name_or_an_honoured_surname_is_not_a_colleague(runner, text, name):
    got = persons(runner, text)
    assert name in got, got
    assert got[name] == ("high", "third_party"), got
    # the given name inside that name is not reported on its own as the colleague
    assert not any(role == "staff" for _, role in got.values()), got


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("本日は佐藤 一郎が付き添いを担当いたしました。", "佐藤 一郎"),
    ("介護職員の佐藤がお部屋まで伺いました。", "佐藤"),
    ("佐藤がお部屋までお迎えに上がりました。", "佐藤"),
    ("看護師の原田が朝の体温を確認しております。", "原田"),
    ("ご不明な点は原田 ゆかりまでお問い合わせください。", "原田 ゆかり"),
    ("原田さんが朝の散歩に付き添いました。", "原田"),
])
def test_the_full_name_or_the_surname_as_staff_write_it_is_the_colleague(runner, text, name):
    got = persons(runner, text)
    assert got.get(name) == ("low", "staff"), got


@pytest.mark.nlp
def test_the_recipients_given_name_alone_still_means_the_recipient(runner):
    """Only a colleague needs more than a given name; the family may be written 和子様 in the body."""
    got = persons(runner, "和子様にもどうぞよろしくお伝えください。")
    assert got.get("和子") == ("low", "recipient"), got


@pytest.mark.nlp
def test_a_given_name_after_another_surname_is_not_the_recipient(runner):
    got = persons(runner, "同室の大野 和子様がお見舞いに来られました。")
    assert got.get("大野 和子") == ("high", "third_party"), got
    assert "和子" not in got, got
