"""Names in ordinary prose (no 様/さん): katakana names joined by ・/＝ completed as one span, a name followed by a
title or an occupation kept, and entities that end in an ordinary noun (〇〇鉄鋼, 〇〇歌劇団) not taken for people.
All sentences and names are invented for these tests."""

import pytest


def person_texts(runner, text):
    return [f.text for f in runner.check(text) if f.category == "pii.person"]


# ---- (1) span completion across ・ and ＝ ----------------------------------------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("昨年の講演会ではヴォルフガング・ヘルツェンベルガーが基調講演を行った。", "ヴォルフガング・ヘルツェンベルガー"),
    ("作曲家のアントニオ・ベルトラッツィは晩年を故郷で過ごした。", "アントニオ・ベルトラッツィ"),
    ("その研究はマルガレーテ・シュトラウビンガーによって引き継がれた。", "マルガレーテ・シュトラウビンガー"),
    ("翌年、ジャン＝ピエール・ルクレールが新しい会長に選ばれた。", "ジャン＝ピエール・ルクレール"),
    ("この橋はトーマス・J・ハーグリーヴスの設計である。", "トーマス・J・ハーグリーヴス"),
    ("シンガーソングライター・ミカエラ・ロッシーニの新作が発表された。", "ミカエラ・ロッシーニ"),
])
def test_katakana_full_name_is_one_span(runner, text, name):
    assert name in person_texts(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "週末にはシカゴ・ブレイザーズの試合を観に行った。",
    "彼はパリ・ロンドン・ベルリンを巡る旅に出た。",
    "新製品はカメラ・レンズ・三脚のセットで販売される。",
    "会場ではピアノ・バイオリン・チェロの三重奏が披露された。",
    "ツアーはウィーン・プラハ・ブダペストを巡る。",
])
def test_katakana_lists_of_places_and_things_are_not_names(runner, text):
    assert person_texts(runner, text) == []


# ---- (3) a name followed by a title ----------------------------------------------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("会談には山岸孝之外相も同席した。", "山岸孝之"),
    ("式典で石動信彦牧師が祈りを捧げた。", "石動信彦"),
    ("新チームは高坂秀明監督のもとで始動した。", "高坂秀明"),
    ("協議には堀之内雅人財務長官が出席した。", "堀之内雅人"),
    ("二人は藤枝恒夫教授の研究室に入った。", "藤枝恒夫"),
])
def test_name_before_a_title_is_a_person(runner, text, name):
    assert name in person_texts(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "札幌市長は会見で雪対策を説明した。",
    "静岡県知事が視察に訪れた。",
    "東京都知事選の投票が行われた。",
    "長崎県議会議長が挨拶した。",
    "大阪府警の本部長が会見した。",
])
def test_place_before_a_title_is_not_a_person(runner, text):
    assert person_texts(runner, text) == []


# ---- (2) entities that end in an ordinary noun -----------------------------------------------------------------
@pytest.mark.nlp
@pytest.mark.parametrize("text,name", [
    ("その夜、桐生誠一郎は静かに家を出た。", "桐生誠一郎"),
    ("ハインリヒ・ブラームフェルトは医師として働いた。", "ハインリヒ・ブラームフェルト"),
    ("野々宮沙織はピアノを学んだ。", "野々宮沙織"),
    ("翌年、宇佐美健吾が初優勝を飾った。", "宇佐美健吾"),
    ("マリア・ヴィスコンティは女優として活躍した。", "マリア・ヴィスコンティ"),
])
def test_plain_names_stay_people(runner, text, name):
    assert name in person_texts(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [
    "浜崎ゴルフクラブは来月に改装工事を始める。",
    "熊沢鉄鋼の工場が新設された。",
    "松浦歌劇団の公演は満員だった。",
    "大森製紙は新工場を建設した。",
    "吉岡球団への出向が決まった。",
])
def test_entity_ending_in_an_ordinary_noun_is_not_a_person(runner, text):
    assert person_texts(runner, text) == []


@pytest.mark.nlp
def test_every_non_person_entity_label_is_one_the_model_emits(engine):
    """A label the model never emits would make the organisation/place filter silently do nothing (the first
    list named Sekine labels such as GPE and Hospital that ja_ginza writes as GPE_Other or not at all)."""
    from desktop_app.core.checks.rules.person import NON_PERSON_ENTITIES

    engine.load()
    emitted = set(engine._nlp.get_pipe("ner").labels)
    assert NON_PERSON_ENTITIES <= emitted, sorted(NON_PERSON_ENTITIES - emitted)
    assert "Person" not in NON_PERSON_ENTITIES and "Position_Vocation" not in NON_PERSON_ENTITIES
