"""Person check on names in ordinary prose, round 3: a foreign surname written alone as a whole katakana word the
dictionary does not know, as the subject of its clause or before a person's title; a katakana name never cut inside
a word; a chain ending in a building word is a venue. Sentences and people are invented."""

import pytest


def persons(runner, text):
    return [f.text for f in runner.check(text, {}) if f.category == "pii.person"]


@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("翌月、ドブジャンスキーは研究室を離れた。", "ドブジャンスキー"),
    ("委員長はクルシェネフスカが務めた。", "クルシェネフスカ"),
    ("マテイチュク兄弟が町に工房を開いた。", "マテイチュク"),
    ("ヴィエルチンスキが新しい楽譜を書いた。", "ヴィエルチンスキ"),
    ("その晩、ゴロデツカヤも演奏会に出かけた。", "ゴロデツカヤ"),
])
def test_unknown_katakana_subject_is_a_name(runner, text, name):
    assert persons(runner, text) == [name]


@pytest.mark.nlp
def test_name_is_not_cut_inside_a_katakana_word(runner):
    # the tagger reads only the first piece as a name; the whole unknown word is the name
    assert persons(runner, "冬の終わりにペトルシェフスカは故郷へ帰った。") == ["ペトルシェフスカ"]


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "ミュラー・ホテルで昼食をとった。",
    "シュナイダー・アリーナで試合が行われた。",
    "「パラノルミア」は三枚目のアルバムである。",
    "ストームフィールズは翌年に解散した。",
    "企業ネクサリオが新製品を発表した。",
    "新型のクロノディスクが搭載された。",
])
def test_venues_titles_groups_and_things_are_not_names(runner, text):
    assert persons(runner, text) == []
