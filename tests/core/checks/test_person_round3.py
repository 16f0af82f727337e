"""Person check, round 3: later mentions of a named person, title + の + surname, foreign names split at ・,
surnames that are also places or words, organisations and places, and one plain reason per finding."""

import json
import re

import pytest

from desktop_app.core.checks.rules.person import word_senses

CTX = {"recipient": {"name": "岡田 直樹"}, "subject": {"name": "岡田 キヨ"}, "sender": {"name": "三好 彩"},
       "facility": {"name": "特別養護老人ホーム ひまわり苑"}}


def persons(runner, text):
    return {f.text: (f.severity.value, dict(f.meta).get("role")) for f in runner.check(text, CTX)
            if f.category == "pii.person"}


# ---- (a) later mentions: the same person, the same role and severity ------------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,first,later", [
    ("同室の佐久間 フミヨ様が歌を披露されました。フミヨ様は昔、合唱団におられたそうです。", "佐久間 フミヨ", "フミヨ"),
    ("ボランティアの丸岡 清隆さんが紙芝居を読んでくださいました。清隆さんの声に皆さん聞き入っていました。",
     "丸岡 清隆", "清隆"),
    ("同じユニットの榊原 トヨ子様と折り紙をされました。トヨ子さんが鶴の折り方を教えてくださいました。",
     "榊原 トヨ子", "トヨ子"),
    ("お向かいの部屋の鮫島 タキ様とお話しされました。タキさまは九十歳を超えてもお元気です。", "鮫島 タキ", "タキ"),
    ("同じテーブルの野々村 公彦様と将棋を指されました。公彦様が勝たれたそうです。", "野々村 公彦", "公彦"),
    ("同室の浜松 チヨ様です。浜松様はいつも朗らかです。", "浜松 チヨ", "浜松"),
])
def test_later_mention_is_the_same_person(runner, text, first, later):
    got = persons(runner, text)
    assert first in got and later in got, got
    assert got[later] == got[first], got


@pytest.mark.nlp
@pytest.mark.parametrize("text,first", [
    ("同室の村田 誠様とよくお話しされます。誠にありがとうございます。", "村田 誠"),
    ("隣室の森 勇様が退院されました。勇気をいただきました。", "森 勇"),
    ("同じフロアの石井 光様です。光が差し込む明るいお部屋です。", "石井 光"),
    ("同室の中村 優様です。優しく声をかけてくださいます。", "中村 優"),
    ("隣室の高田 ミキ様です。ミキサー食を召し上がっています。", "高田 ミキ"),
])
def test_a_word_holding_a_name_part_is_not_a_mention(runner, text, first):
    assert set(persons(runner, text)) == {first}


def test_later_mention_explanation_quotes_the_first_mention(runner):
    fs = [f for f in runner.check("同室の佐久間 フミヨ様が歌われました。フミヨ様は合唱団におられました。", CTX)
          if f.text == "フミヨ"]
    assert fs and "手紙の前のほうで『佐久間 フミヨ様』と書かれた方です" in fs[0].explanation


# ---- (b) title + の + surname: staff, even where the surname is also a place or a word ---------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("介護職員の鶴田が付き添いました。", "鶴田"),
    ("看護師の朝比奈が確認しております。", "朝比奈"),
    ("相談員の坂之上より改めてご連絡いたします。", "坂之上"),
    ("ケアマネジャーの大槻が訪問いたします。", "大槻"),
    ("ヘルパーの桑名がお手伝いしました。", "桑名"),
    ("主任の横山が対応いたしました。", "横山"),
])
def test_title_and_surname_is_staff(runner, text, name):
    assert persons(runner, text).get(name) == ("low", "staff")


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "介護職員の配置を見直しました。",
    "看護師の判断で受診を控えました。",
    "相談員の窓口までお越しください。",
    "ヘルパーの派遣を増やします。",
    "主任の立場から申し上げます。",
])
def test_title_and_ordinary_word_is_not_a_person(runner, text):
    assert persons(runner, text) == {}


# ---- ・ foreign names: each part is a later mention --------------------------------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,first,later,role", [
    ("介護職員のデウィ・アユ・ラハユが担当しました。ラハユさんはいつも笑顔です。", "デウィ・アユ・ラハユ", "ラハユ", "staff"),
    ("同室のマリア・ロドリゲス様と散歩されました。マリア様はスペインのご出身です。", "マリア・ロドリゲス", "マリア",
     "third_party"),
    ("ヘルパーのアナ・サントスがお手伝いしました。アナさんの料理は好評です。", "アナ・サントス", "アナ", "staff"),
    ("隣室のピーター・ブラウン様が退所されました。ブラウン様によろしくとのことです。", "ピーター・ブラウン", "ブラウン",
     "third_party"),
    ("介護職員のチャン・ヴァン・ドゥックが入浴をお手伝いしました。ドゥックが丁寧に対応しました。",
     "チャン・ヴァン・ドゥック", "ドゥック", "staff"),
])
def test_foreign_name_parts(runner, text, first, later, role):
    got = persons(runner, text)
    assert got.get(first, (None, None))[1] == role and got.get(later) == got[first], got


@pytest.mark.nlp
@pytest.mark.parametrize("text,expected", [
    ("コーヒー・紅茶をご用意しております。", set()),
    ("バス・トイレ付きのお部屋です。", set()),
    ("ドライヤー・タオルはお持ちください。", set()),
    ("パン・スープ・サラダの昼食でした。", set()),
    ("介護職員のアナ・サントスです。マイクを使って歌いました。", {"アナ・サントス"}),
])
def test_katakana_lists_and_words_are_not_names(runner, text, expected):
    assert set(persons(runner, text)) == expected


# ---- surnames that are also places or words: a person only with evidence -----------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("高崎様がお見えになりました。", "高崎"),
    ("看護師の朝日が確認しました。", "朝日"),
    ("横山さんと一緒に体操をされました。", "横山"),
    ("介護職員の熊谷がご説明いたします。", "熊谷"),
    ("同室の浜松 チヨ様です。浜松様はいつも朗らかです。", "浜松"),
])
def test_place_or_word_surname_with_evidence_is_a_person(runner, text, name):
    assert name in persons(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "高崎まで電車で出かけました。",
    "朝日がきれいに差し込みました。",
    "横山の紅葉が見事でした。",
    "浜松の鰻をお土産にいただきました。",
    "熊谷は今年も暑いそうです。",
])
def test_place_or_word_surname_without_evidence_is_not_flagged(runner, text):
    assert persons(runner, text) == {}


# ---- (c) organisations and places --------------------------------------------------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "大谷歯科クリニックを受診されました。",
    "ケアプランセンター中島の担当者がお見えになりました。",
    "松本市内の病院に入院されました。",
    "黒田節を皆さんで歌いました。",
    "訪問看護ステーション石田から連絡がありました。",
    "村上内科で診ていただきました。",
])
def test_organisations_and_places_are_not_people(runner, text):
    assert persons(runner, text) == {}


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("大谷様は歯科クリニックを受診されました。", "大谷"),
    ("中島さんがケアプランセンターからお見えになりました。", "中島"),
    ("隣室の松本様が市内の病院に入院されました。", "松本"),
    ("黒田さんが民謡を歌われました。", "黒田"),
    ("同室の石田様が訪問看護を受けておられます。", "石田"),
])
def test_person_beside_organisation_words_is_still_a_person(runner, text, name):
    assert name in persons(runner, text)


# ---- (d) explanations: one plain sentence for staff, the signals only in JSON ------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,name,reason", [
    ("同室の松井様と散歩されました。", "松井", "『同室の』の後にあるお名前です"),
    ("介護職員の鶴田が付き添いました。", "鶴田", "『介護職員の』の後にあるお名前です"),
    ("昨日、大久保様がご面会に来られました。", "大久保", "『様』が付いたお名前で"),
])
def test_reason_is_about_the_letters_words(runner, text, name, reason):
    f = next(f for f in runner.check(text, CTX) if f.text == name)
    assert f.explanation.startswith(reason), f.explanation
    assert not re.search(r"辞書|文の流れ|品詞|固有表現|[A-Za-z]", f.message + f.explanation), f.explanation
    assert dict(f.meta)["signals"], f.meta


@pytest.mark.nlp
def test_json_output_carries_the_signals(tmp_path, capsys, monkeypatch):
    from desktop_app import cli

    letter = tmp_path / "letter.txt"
    letter.write_text("同室の佐久間 フミヨ様が歌われました。フミヨ様は合唱団におられました。", encoding="utf-8")
    rc = cli.main(["check", str(letter), "--format", "json"])
    assert rc == 1
    rec = json.loads(capsys.readouterr().out.splitlines()[0])
    people = [f for f in rec["findings"] if f["category"] == "pii.person"]
    assert {f["text"] for f in people} >= {"佐久間 フミヨ", "フミヨ"}
    assert all(f["signals"] for f in people)
    later = next(f for f in people if f["text"] == "フミヨ")
    assert later["severity"] == "high" and "手紙の前のほう" in " ".join(later["signals"])


def test_word_senses_read_every_dictionary_sense():
    assert {"person", "place"} <= word_senses("熊谷")
    assert "person" not in word_senses("配置")
