"""Etiquette rules a reader notices (style.*): a table per rule, texts it must flag and correct
texts it must leave alone, written for these tests; plus the examples carried by style.toml."""

import pytest

from desktop_app.core.checks.rules.style import keigo_patterns, load_style
from desktop_app.core.textutil import fold_width

LETTER_DATE = "2026-11-20"


def found(pattern_runner, text, category, context=None):
    ctx = {"date": LETTER_DATE, **(context or {})}
    return [f for f in pattern_runner.check(text, ctx) if f.category == category]


# ---- 曜日 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,right", [
    ("説明会は令和8年12月6日（土）午後2時からです。", "日"),           # 和暦, the 6th is a Sunday
    ("締切は2027年1月15日(木)必着でお願いします。", "金"),             # 西暦, half-width parentheses
    ("面談の日程は12月3日（水曜日）となります。", "木"),               # no year: the letter's year
    ("お申し込みは２０２６年１２月９日（火）までに。", "水"),           # full-width digits
    ("お迎えは 2026/12/24（金） の夕方です。", "木"),                   # slashes
    ("餅つき大会　令和9年1月9日（日・祝）", "土"),                     # with 祝 after it
    ("年明けは1月8日（木）から通常どおりです。", "金"),                # a November letter's January is next year's
    ("帰省は12月26日（土）～27日（月）の予定です。", "日"),           # the second day of a range
    ("家族会は令和8年12月5日（土）・12日（日）です。", "土"),          # a second day after ・
])
def test_weekday_that_does_not_match_the_date_is_flagged(pattern_runner, text, right):
    hits = found(pattern_runner, text, "style.weekday")
    assert len(hits) == 1, hits
    assert hits[0].suggestions == (right,)
    assert hits[0].explanation and "曜日" in hits[0].message


@pytest.mark.parametrize("text", [
    "説明会は令和8年12月6日（日）午後2時からです。",
    "締切は2027年1月15日(金)必着でお願いします。",
    "面談の日程は12月3日（木曜日）となります。",
    "お申し込みは２０２６年１２月９日（水）までに。",
    "お迎えは 2026/12/24（木） の夕方です。",
    "餅つき大会　令和9年1月9日（土・祝）",
    "平成31年4月30日（火）に退職しました。",
    "12月の予定（未定）については、後日お知らせします。",
    "帰省は12月26日（土）～27日（日）の予定です。",
    "家族会は令和8年12月5日（土）・12日（土）です。",
])
def test_weekday_that_matches_or_no_weekday_is_not_flagged(pattern_runner, text):
    assert found(pattern_runner, text, "style.weekday") == []


@pytest.mark.parametrize("text,right", [
    ("忘年会は十二月十九日（金）に行います。", "土"),                     # kanji numerals
    ("令和八年十二月二十日（月）は面会を休止します。", "日"),             # 和暦 in kanji
    ("次回の受診はR8.12.3（水）です。", "木"),                           # a care record's 和暦 short form
    ("ご請求書は2026.12.24(水)に発送します。", "木"),                     # 西暦 with dots
    ("12.14（火）の午後に伺います。", "月"),                             # month.day
    ("カンファレンスはR8/12/10(水)です。", "木"),                         # 和暦 letter with slashes
])
def test_weekday_in_kanji_numerals_and_short_date_forms_is_checked(pattern_runner, text, right):
    hits = found(pattern_runner, text, "style.weekday")
    assert [h.suggestions for h in hits] == [(right,)]


@pytest.mark.parametrize("text", [
    "忘年会は十二月十九日（土）に行います。",
    "令和八年十二月二十日（日）は面会を休止します。",
    "次回の受診はR8.12.3（木）です。",
    "ご請求書は2026.12.24(木)に発送します。",
    "12.14（月）の午後に伺います。",
    "体温は36.5（日勤帯の測定）でした。",          # a decimal, not a date
    "2026/12.20(日)の件",                            # mixed separators: not read as one date
    "十一月二十八日（土）に作品展があります。",
])
def test_weekday_in_kanji_numerals_and_short_forms_that_matches_is_not_flagged(pattern_runner, text):
    assert found(pattern_runner, text, "style.weekday") == []


def test_weekday_without_year_uses_the_letter_date_in_the_text(pattern_runner):
    text = "記念写真の受け渡しは3月4日（水）です。\n\n令和9年2月10日\n施設長"
    hits = [f for f in pattern_runner.check(text) if f.category == "style.weekday"]
    assert [f.suggestions for f in hits] == [("木",)]  # 2027-03-04 is a Thursday


# ---- 二重敬語 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,fix", [
    ("祖父は今月初めからご入院されております。", "入院され"),
    ("ご家族がご面会された際に、受付でお声がけください。", "面会され"),
    ("お父様がお帰りになられたあと、", "お帰りになった"),
    ("先生が写真をご覧になられましたので", "ご覧になりま"),
    ("朝食を残さずお召し上がりになられました。", "召し上がりま"),
    ("先ほど奥様がおっしゃられたように", "おっしゃった"),
    ("頂いたお便りを拝見させていただきました。", "拝見いたし"),
    ("来週、担当者がお伺いさせていただきます。", "伺い"),
    ("受付でお待ちされていたご家族に", "お待ちになって"),
    ("毎週いらっしゃられるお孫さん", "いらっしゃる"),
])
def test_double_honorifics_are_flagged_with_a_fix(pattern_runner, text, fix):
    hits = found(pattern_runner, text, "style.double_keigo")
    assert len(hits) == 1, [(h.text, h.suggestions) for h in hits]
    assert hits[0].suggestions == (fix,)
    assert "敬語" in hits[0].message


@pytest.mark.parametrize("text", [
    "祖父は今月初めから入院されております。",
    "祖父は今月初めからご入院中です。",
    "お父様がお帰りになったあと、",
    "先生が写真をご覧になりましたので",
    "朝食を残さず召し上がりました。",
    "お昼はお召し上がりになりますか。",
    "先ほど奥様がおっしゃったように",
    "頂いたお便りを拝見いたしました。",
    "来週、担当者がお伺いいたします。",
    "ご面会の際は受付でお声がけください。",
    "すっかりお元気になられ、笑顔が増えました。",
    "ご病気になられてからも、",
    "日程をご連絡させていただきます。",
    "お客様が到着されました。",
])
def test_correct_honorifics_are_not_flagged(pattern_runner, text):
    assert found(pattern_runner, text, "style.double_keigo") == []


@pytest.mark.parametrize("pattern", keigo_patterns(), ids=lambda p: p.id)
def test_double_keigo_data_examples(pattern):
    assert len(pattern.must_match) >= 5 and len(pattern.must_not_match) >= 5
    for ex in pattern.must_match:
        assert pattern.regex.search(fold_width(ex)), f"{pattern.id} should match {ex!r}"
    for ex in pattern.must_not_match:
        assert not pattern.regex.search(fold_width(ex)), f"{pattern.id} should not match {ex!r}"


# ---- 各位 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,fix", [
    ("利用者様各位\n\n年末年始の面会について", "各位"),
    ("ご家族様　各位", "各位"),
    ("入居者各位様\nいつもお世話になっております。", "各位"),
    ("保護者各位殿", "各位"),
    ("皆様各位におかれましては", "皆様"),
    ("関係者様各位", "各位"),
])
def test_kakui_with_another_honorific_is_flagged(pattern_runner, text, fix):
    hits = found(pattern_runner, text, "style.kakui")
    assert len(hits) == 1
    assert hits[0].suggestions[0] == fix


@pytest.mark.parametrize("text", [
    "利用者各位\n\n年末年始の面会について",
    "ご家族各位",
    "入居者の皆様へ",
    "保護者の方々へ",
    "関係者各位におかれましては",
    "ご家族様へのお願い",
])
def test_kakui_alone_is_not_flagged(pattern_runner, text):
    assert found(pattern_runner, text, "style.kakui") == []


def test_kakui_data_examples(pattern_runner):
    data = load_style()["kakui"]
    for ex in data["match"]:
        assert found(pattern_runner, ex, "style.kakui"), ex
    for ex in data["no_match"]:
        assert not found(pattern_runner, ex, "style.kakui"), ex


# ---- greetings in an apology or a reply --------------------------------------------------------
APOLOGY_OPENINGS = [
    ("incident_report", "拝啓　向寒の候、皆様にはますますご清祥のこととお喜び申し上げます。\nさて、先日の件につきご報告いたします。"),
    ("complaint_reply", "拝復　初冬の候、ご家族の皆様にはご健勝のこととお慶び申し上げます。\nこのたびはご意見をいただき"),
    ("city_office_reply", "拝啓　時下ますますご清栄のこととお喜び申し上げます。\nお問い合わせの件について回答します。"),
    ("incident_report", "拝啓　木枯らしの季節となりましたが、皆様にはいかがお過ごしでしょうか。\n先日の転倒について"),
    ("complaint_reply", "拝復　晩秋の候、\nこのたびはご意見をお寄せいただき、ありがとうございました。"),
    ("incident_report", "拝啓　皆様にはお健やかにお過ごしのこととお喜び申し上げます。\nこのたびは"),
]


@pytest.mark.parametrize("kind,text", APOLOGY_OPENINGS)
def test_greeting_in_an_apology_or_reply_is_flagged(pattern_runner, kind, text):
    hits = found(pattern_runner, text, "style.apology_greeting", {"kind": kind})
    assert len(hits) == 1, [h.text for h in hits]
    assert not hits[0].text.startswith(("拝啓", "拝復"))  # the 頭語 stays
    assert hits[0].suggestions == ("",) and "このたびは" in hits[0].explanation


@pytest.mark.parametrize("kind,text", [
    ("incident_report", "拝啓　このたびは、母の転倒により大変なご心配をおかけし、誠に申し訳ございません。"),
    ("complaint_reply", "拝復　このたびは、送迎の遅れについてご意見をお寄せいただき、ありがとうございました。"),
    ("city_office_reply", "拝復　このたびは、おむつ代の助成についてお問い合わせいただき、ありがとうございました。"),
    ("incident_report", "拝啓　日頃より当施設の運営にご理解を賜り、厚く御礼申し上げます。"),
    ("event_notice", "拝啓　向寒の候、皆様にはますますご清祥のこととお喜び申し上げます。"),
    ("thanks", "拝啓　初冬の候、皆様にはご健勝のこととお慶び申し上げます。"),
    ("monthly_report", "拝啓　晩秋の候、皆様にはいかがお過ごしでしょうか。"),
])
def test_greeting_is_fine_in_other_letters_and_the_matter_is_fine_in_apologies(pattern_runner, kind, text):
    assert found(pattern_runner, text, "style.apology_greeting", {"kind": kind}) == []


def test_kind_from_the_subject_line_when_the_context_has_none(pattern_runner):
    apology = "山田 一郎 様\n\n送迎車の事故についてのお詫び\n\n拝啓　初冬の候、ますますご清祥のこととお喜び申し上げます。\n"
    notice = "山田 一郎 様\n\n餅つき大会のご案内\n\n拝啓　初冬の候、ますますご清祥のこととお喜び申し上げます。\n"
    assert found(pattern_runner, apology, "style.apology_greeting")
    assert not found(pattern_runner, notice, "style.apology_greeting")


def test_apology_data_examples(pattern_runner):
    data = load_style()["apology"]
    for ex in data["match"]:
        assert found(pattern_runner, ex, "style.apology_greeting", {"kind": "complaint_reply"}), ex
    for ex in data["no_match"]:
        assert not found(pattern_runner, ex, "style.apology_greeting", {"kind": "complaint_reply"}), ex


def test_jsonl_type_and_context_kind_are_the_same_kind():
    from desktop_app.core.context import CheckContext

    assert CheckContext.from_dict({"kind": "complaint_reply"}).kind == "complaint_reply"
    assert CheckContext.from_dict({"type": "incident_report"}).kind == "incident_report"
    assert CheckContext.from_dict({"kind": "thanks", "type": "incident_report"}).kind == "thanks"


def test_season_alone_is_cut_without_the_thanks_after_it(pattern_runner):
    text = "拝啓　新涼の候、平素より当施設をご利用いただき、誠にありがとうございます。"
    hits = found(pattern_runner, text, "style.apology_greeting", {"kind": "incident_report"})
    assert [h.text for h in hits] == ["新涼の候、"]
