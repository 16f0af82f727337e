"""Person check on names in ordinary prose (no 様/さん), round 2: foreign names GiNZA reads as people but Sudachi
writes as ordinary nouns, a place word inside a club or company name, a tagged full name running into a kanji
word (〇〇主演), and a kanji given name the dictionary splits (〇〇三郎). Sentences and people are invented."""

import pytest


def persons(runner, text):
    return [f.text for f in runner.check(text, {}) if f.category == "pii.person"]


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("翌年、ドルガノフは港の倉庫で働き始めた。", "ドルガノフ"),
    ("委員会はマルコヴィッチに報告書の提出を求めた。", "マルコヴィッチ"),
    ("その夏、ベルジャーエフは故郷の村へ戻った。", "ベルジャーエフ"),
    ("調査団はシュヴァルツェンベルクの日記を読み解いた。", "シュヴァルツェンベルク"),
    ("研究所の初代所長はアッカーマンであった。", "アッカーマン"),
])
def test_unknown_katakana_person_entity_is_a_name(runner, text, name):
    assert name in persons(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "一行はグランド・ホテルに泊まった。",
    "ロイヤル・パークで式典が行われた。",
    "新しいスマートフォンが発売された。",
    "ピアノとバイオリンの演奏会が開かれた。",
    "港にはコンテナが積まれていた。",
])
def test_katakana_things_and_places_are_not_names(runner, text):
    assert persons(runner, text) == []


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "札幌テクノは新しい工場を建てた。",
    "名古屋ガスの社員が説明会を開いた。",
    "USサレルノに移籍した。",
    "試合はFCトリノが制した。",
    "京都ベーカリーのパンは人気がある。",
])
def test_place_word_with_other_words_is_not_a_person(runner, text):
    assert persons(runner, text) == []


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("吉岡美津子脚本のドラマが放送された。", "吉岡美津子"),
    ("桑原義雄内閣の下で改革が進んだ。", "桑原義雄"),
    ("川村秀夫原作の漫画が話題になった。", "川村秀夫"),
    ("石田悦子演出の舞台を観た。", "石田悦子"),
])
def test_tagged_full_name_before_a_kanji_word(runner, text, name):
    assert name in persons(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "田中村の人々が集まった。",
    "森山総合病院に入院した。",
    "山田記念館を訪れた。",
    "石川県で開かれた。",
    "松本役を演じた。",
    "北村方に身を寄せた。",
])
def test_surname_inside_a_place_or_a_word_is_not_a_full_name(runner, text):
    assert persons(runner, text) == []


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("岩崎徳三郎は翌年に帰郷した。", "岩崎徳三郎"),
    ("坂本弥三が跡を継いだ。", "坂本弥三"),
    ("高田喜三郎の没後、店は閉じられた。", "高田喜三郎"),
    ("中川甚七らが集まった。", "中川甚七"),
])
def test_split_kanji_given_name_is_whole(runner, text, name):
    assert name in persons(runner, text)


@pytest.mark.nlp
def test_single_katakana_common_noun_is_not_a_name(runner):
    assert "バイオリン" not in persons(runner, "グエン・ティ・ランさんが、バイオリンを弾いてくださいました。")
