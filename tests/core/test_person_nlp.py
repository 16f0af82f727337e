"""Names and who they are, with the real GiNZA model (loaded once per session)."""

import pytest

pytestmark = pytest.mark.nlp

CTX = {"facility": {"name": "グループホーム ひだまり", "address": "〒350-1123 埼玉県川越市脇田本町8番地2",
                    "phone": "049-222-1010"},
       "recipient": {"name": "武田 良子"}, "subject": {"name": "武田 ハル"}, "sender": {"name": "松井 恵"}}


def persons(runner, text, context=CTX):
    return {f.text: f.severity.value for f in runner.check(text, context) if f.category == "pii.person"}


def test_recipient_subject_and_sender_are_low(runner):
    text = "武田 良子 様\n\nハル様は毎朝お散歩を楽しまれています。\n\nグループホーム ひだまり\n計画作成担当者　松井 恵\n"
    got = persons(runner, text)
    assert got == {"武田 良子": "low", "ハル": "low", "松井 恵": "low"}


def test_another_resident_is_high_and_excludes_the_honorific(runner):
    text = "昼食の際、隣の席の小野寺様とお話しされていました。同じフロアの吉岡キミ様も一緒でした。"
    got = persons(runner, text)
    assert got.get("小野寺") == "high"
    assert got.get("吉岡キミ") == "high"


def test_name_with_fullwidth_space_is_one_span(runner):
    text = "同室の青木　道子様がナースコールを押してくださいました。"
    got = persons(runner, text)
    assert got.get("青木　道子") == "high", got


def test_staff_and_professionals_are_not_high(runner):
    text = ("受診には介護職員の大野が付き添いました。主治医の森田先生からは、経過を見るとの説明がありました。"
            "理学療法士の川口さんがリハビリを担当しています。")
    got = persons(runner, text)
    assert got.get("大野") in ("low", "medium")
    assert got.get("森田") in ("low", "medium")
    assert got.get("川口") in ("low", "medium")


def test_family_of_the_subject_is_not_high(runner):
    text = "面会にはお孫様の翔太様がいらっしゃいました。"
    assert persons(runner, text).get("翔太") in ("low", "medium")


def test_katakana_account_holder_matches_the_subject(runner):
    text = "お振込みの際は、ご入居者様のお名前（タケダ ハル）でお振込みください。"
    got = persons(runner, text)
    assert got.get("タケダ ハル") == "low", got


def test_place_and_facility_names_are_not_people(runner):
    text = "福島県から来られたボランティアの方々と、川越市立病院の前を通って散歩しました。グループホーム ひだまりの庭です。"
    assert persons(runner, text) == {}


def test_ordinary_words_with_name_characters_are_not_names(runner):
    assert persons(runner, "誠にありがとうございました。勇気を出して歩かれました。", {}) == {}


def test_third_party_health_is_high(runner):
    text = "同室の吉川様は認知症のため、ほかの方のお部屋に入られることがあります。"
    health = [f for f in runner.check(text, CTX) if f.category == "pii.health"]
    assert health and health[0].text == "認知症" and health[0].severity.value == "high"


@pytest.mark.parametrize("text,expected", [
    ("ハル様は右膝の痛みを訴えられました。", "右膝の痛み"),
    ("診察の結果、誤嚥性肺炎と診断されました。", "誤嚥性肺炎"),
    ("ハル様は要介護3の認定を受けておられます。", "要介護3"),
    ("ワーファリンを服用されているため、出血に注意しています。", "ワーファリン"),
    ("軽度の認知症がございます。", "認知症"),
])
def test_health_phrases_are_minimal(runner, text, expected):
    health = [f.text for f in runner.check(text, CTX) if f.category == "pii.health"]
    assert expected in health, health


def test_generic_health_in_a_notice_is_not_personal(runner):
    text = "インフルエンザが流行する季節となりました。発熱などの症状のある方は面会をお控えください。"
    assert not [f for f in runner.check(text, {}) if f.category == "pii.health"]


def test_recipient_inferred_from_the_first_line_without_context(runner):
    text = "大森 健一 様\n\n拝啓　晩秋の候、お喜び申し上げます。\n敬具\n"
    assert persons(runner, text, {}) == {"大森 健一": "low"}


def test_a_first_line_that_is_a_sentence_is_not_taken_for_the_addressee(runner):
    assert persons(runner, "同室の小野寺様です。", {}) == {"小野寺": "high"}


def test_every_finding_has_the_contract_fields(runner):
    text = "同室の小林様が090-1111-2222に電話されました。必ず再発を防ぎます。"
    for f in runner.check(text, CTX):
        d = f.to_dict()
        for key in ("start", "end", "text", "category", "severity", "message", "explanation", "suggestions"):
            assert key in d
        assert text[d["start"]:d["end"]] == d["text"]
        assert d["severity"] in ("high", "medium", "low", "info")


def test_emoji_and_rare_kanji_do_not_shift_offsets(runner):
    text = "😀𠮷野家の前で、同室の中村様に会いました。"
    high = [f for f in runner.check(text, CTX) if f.category == "pii.person" and f.severity.value == "high"]
    assert [text[f.start:f.end] for f in high] == ["中村"]


def test_paragraph_cache_reuses_unchanged_paragraphs(engine):
    base = "ハル様はお元気です。\n" * 3 + "新しい段落です。"
    engine.analyze(base)
    before = engine.parsed_chars
    engine.analyze(base.replace("新しい段落です。", "書き換えた段落です。"))
    assert engine.parsed_chars - before == len("書き換えた段落です。")


def test_warm_parses_many_letters_so_checking_them_parses_nothing_more(engine):
    letters = [f"第{i}便のお便りです。\nハル様は本日もお元気に過ごされました。（{i}）" for i in range(12)]
    engine.warm(letters)
    before = engine.parsed_chars
    for text in letters:
        engine.analyze(text)
    assert engine.parsed_chars == before


def test_model_layers_use_numpys_matrix_product_where_thinc_has_no_better_cpu_backend(engine):
    """BLIS's PyPI wheels run a generic kernel on x86-64 (3x slower here): the engine builds the model on
    numpy's matmul unless thinc has a faster CPU backend (thinc-apple-ops), which it keeps."""
    from thinc.api import NumpyOps, get_current_ops, get_ops

    tok2vec_ops = engine._nlp.get_pipe("tok2vec").model.ops
    if type(get_ops("cpu")) is NumpyOps:
        assert type(tok2vec_ops) is NumpyOps and tok2vec_ops.use_blis is False
        ner_ops = engine._nlp.get_pipe("ner").model.ops
        assert ner_ops.use_blis is False
    else:
        assert type(tok2vec_ops) is type(get_ops("cpu"))
    # the choice holds only while the model loads: other thinc users keep the process's own backend
    assert getattr(get_current_ops(), "use_blis", True) is True
