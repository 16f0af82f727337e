"""Templates: every bundled one renders with its sample, passes the check, and errors name file and line."""

import datetime as dt
import json

import pytest

from desktop_app import config
from desktop_app.core import japanese
from desktop_app.core.context import CheckContext
from desktop_app.core.templates import MissingFieldsError, TemplateError, TemplateLibrary
from tests.conftest import SAMPLES, sample

BUNDLED = sorted(p.stem for p in config.templates_dir().glob("*.toml"))
KINDS_REQUIRED = {"monthly_report", "incident_report", "complaint_reply", "event_notice", "fee_notice", "hospital_notice",
                  "request_notice", "condolence", "thanks", "payment_reminder", "visiting_rules", "city_office_reply"}


def test_every_letter_kind_has_a_template(library):
    assert KINDS_REQUIRED <= set(library.templates)
    assert not library.errors


def _facility(tid):
    name = "facility_city.json" if tid == "city_office_reply" else "facility.json"
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("tid", BUNDLED)
def test_template_renders_its_sample_with_structure(library, tid):
    text = library.render(tid, sample(tid), _facility(tid))
    info = library.get(tid)
    assert "令和" in text
    if info.kind == "condolence":
        assert not text.lstrip().splitlines()[2].startswith(("拝啓", "謹啓"))
    else:
        assert ("拝啓" in text and "敬具" in text) or ("拝復" in text and "敬具" in text)
    if info.kind == "notice":
        assert "\n記\n" in text and "\n以上\n" in text


@pytest.mark.nlp
@pytest.mark.parametrize("tid", BUNDLED)
def test_bundled_template_has_no_risk_or_style_finding(library, runner, tid):
    data = sample(tid)
    text = library.render(tid, data, _facility(tid))
    ctx = library.check_context(tid, data, _facility(tid))
    bad = [(f.category, f.text) for f in runner.check(text, ctx) if f.category.startswith(("risk.", "style."))]
    assert bad == []
    high = [(f.category, f.text) for f in runner.check(text, ctx) if f.severity.value == "high"]
    assert high == []


@pytest.mark.parametrize("value,expected", [
    ("2026-11-22", "令和8年11月22日"), ("2019-05-01", "令和元年5月1日"), ("2019-04-30", "平成31年4月30日"),
    ("1989-01-08", "平成元年1月8日"), ("1989-01-07", "昭和64年1月7日"), (dt.date(2020, 1, 1), "令和2年1月1日"),
    ("２０２６／１１／２２", "令和8年11月22日"),
])
def test_wareki(value, expected):
    assert japanese.wareki(value) == expected


@pytest.mark.parametrize("date,greeting", [
    ("2027-01-05", "新春の候"), ("2027-01-20", "厳寒の候"), ("2027-02-02", "厳寒の候"), ("2027-02-10", "余寒の候"),
    ("2027-03-05", "早春の候"), ("2027-03-31", "春暖の候"), ("2027-04-10", "陽春の候"), ("2027-04-28", "晩春の候"),
    ("2027-05-08", "新緑の候"), ("2027-05-25", "薫風の候"), ("2027-06-03", "初夏の候"), ("2027-06-20", "梅雨の候"),
    ("2027-07-10", "盛夏の候"), ("2027-07-28", "大暑の候"), ("2027-08-03", "盛夏の候"), ("2027-08-20", "残暑の候"),
    ("2026-09-10", "初秋の候"), ("2026-09-28", "秋涼の候"), ("2026-10-10", "秋冷の候"), ("2026-10-25", "錦秋の候"),
    ("2026-11-05", "晩秋の候"), ("2026-11-22", "向寒の候"), ("2026-12-05", "初冬の候"), ("2026-12-15", "師走の候"),
    ("2026-12-26", "歳末の候"),
])
def test_season_greeting_by_month_with_late_month_variants(date, greeting):
    assert japanese.season_greeting(date) == greeting


def test_every_day_of_the_year_gets_a_greeting_the_check_accepts():
    from desktop_app.core.conventions import seasons

    months = seasons().accepted
    day = dt.date(2028, 1, 1)  # a leap year: 29 February too
    while day.year == 2028:
        word = japanese.season_word(day)
        assert day.month in months[word], f"{day}: {word} is for months {months[word]}"
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("value,expected", [
    ("2026-12-20", "（日）"), ("2026-12-21", "（月）"), ("2027-01-01", "（金）"), (dt.date(2019, 5, 1), "（水）"),
])
def test_youbi_filter(library, value, expected):
    assert japanese.youbi(value) == expected
    env_text = library._env(library.get("thanks")).from_string("{{ d|wareki_youbi }}").render(d=value)
    assert env_text == japanese.wareki(value) + expected


def test_event_notice_dates_the_family_acts_on_carry_the_weekday(library, facility):
    text = library.render("event_notice", sample("event_notice"), facility)
    assert "令和8年12月20日（日）" in text and "令和8年12月10日（木）までに" in text


def test_no_letter_without_a_facility_name(library):
    from desktop_app.core.templates import FacilityNameMissing

    with pytest.raises(FacilityNameMissing) as exc:
        library.render("thanks", sample("thanks"), {"name": "", "phone": "03-1234-5678"})
    assert "施設名が設定されていません" in str(exc.value)
    with pytest.raises(FacilityNameMissing) as exc:  # listed with the missing form fields
        library.render("thanks", {}, {})
    assert {"recipient_name", "facility.name"} <= {f.name for f in exc.value.fields}


def test_a_template_that_never_prints_the_facility_name_needs_none(tmp_path):
    _write(tmp_path / "user", "memo", 'title = "メモ"\n[[fields]]\nname = "who"\nlabel = "宛先"\n', "{{ who }} 様\n")
    lib = TemplateLibrary(config.templates_dir(), user=tmp_path / "user")
    assert lib.render("memo", {"who": "山田"}, {}) == "山田 様\n"


def test_season_and_salutations():
    assert (japanese.opening("reply"), japanese.closing("reply")) == ("拝復", "敬具")
    assert japanese.sama("山田 花子") == "山田 花子 様" and japanese.sama("ご家族各位") == "ご家族各位"
    assert japanese.yen(15400) == "15,400円"


def test_missing_required_fields_are_all_named(library):
    with pytest.raises(MissingFieldsError) as exc:
        library.render("incident_report", {"recipient_name": "山田 太郎"})
    names = {f.name for f in exc.value.fields}
    assert {"resident_name", "circumstances", "measures", "sender_name"} <= names
    assert "ご利用者のお名前" in str(exc.value)


def _write(folder, name, toml, j2):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(toml, encoding="utf-8")
    (folder / f"{name}.j2").write_text(j2, encoding="utf-8")


SIMPLE = 'title = "テスト"\n[[fields]]\nname = "who"\nlabel = "宛先"\ntype = "person"\nrole = "recipient"\n'


def test_syntax_error_names_file_and_line_and_others_still_load(tmp_path):
    user = tmp_path / "user"
    _write(user, "broken", SIMPLE, "一行目\n二行目\n{% if who %}\n閉じていない\n")
    lib = TemplateLibrary(config.templates_dir(), user=user)
    assert "broken" not in lib.templates and "incident_report" in lib.templates
    err = lib.errors[0]
    assert err.path.name == "broken.j2" and err.line is not None and "broken.j2" in str(err)


def test_unknown_filter_is_reported_with_line(tmp_path):
    _write(tmp_path, "badfilter", SIMPLE, "こんにちは\n{{ who|nosuchfilter }}\n")
    lib = TemplateLibrary(config.templates_dir(), user=tmp_path)
    err = [e for e in lib.errors if e.path.name == "badfilter.j2"][0]
    assert err.line == 2 and "nosuchfilter" in str(err)


def test_broken_schema_is_reported_with_line(tmp_path):
    _write(tmp_path, "badschema", 'title = "x"\n[[fields]]\nname = \n', "x\n")
    lib = TemplateLibrary(config.templates_dir(), user=tmp_path)
    err = [e for e in lib.errors if e.path.name == "badschema.toml"][0]
    assert err.line == 3


@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ who.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
])
def test_sandbox_escape_is_refused_with_file(tmp_path, attack):
    _write(tmp_path, "escape", SIMPLE, f"宛先\n{attack}\n")
    lib = TemplateLibrary(config.templates_dir(), user=tmp_path)
    with pytest.raises(TemplateError) as exc:
        lib.render("escape", {"who": "山田"})
    assert "escape.j2" in str(exc.value)


def test_user_template_overrides_bundled_and_appears_without_restart(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    lib = TemplateLibrary(config.templates_dir(), user=user)
    assert lib.get("thanks").source == "bundled"
    _write(user, "thanks", 'title = "施設のお礼状"\n', "ありがとうございました。\n")
    _write(user, "newone", 'title = "新しい手紙"\n', "新しい\n")
    assert lib.reload_if_changed()
    assert lib.get("thanks").title == "施設のお礼状" and lib.get("thanks").source == "user"
    assert lib.render("newone", {}) == "新しい\n"


def test_shared_folder_is_between_user_and_bundled(tmp_path):
    shared, user = tmp_path / "shared", tmp_path / "user"
    _write(shared, "thanks", 'title = "共有"\n', "共有\n")
    lib = TemplateLibrary(config.templates_dir(), user=user, shared=shared)
    assert lib.get("thanks").source == "shared"
    _write(user, "thanks", 'title = "個人"\n', "個人\n")
    lib.reload()
    assert lib.get("thanks").source == "user"


def test_check_context_comes_from_person_fields(library):
    ctx = library.check_context("incident_report", sample("incident_report"), {"name": "施設"})
    assert ctx.recipient == "長谷川 誠一" and ctx.subject == "長谷川 キヨ" and ctx.facility.name == "施設"
    assert ctx.sender == "石原 和子" and ctx.kind == "incident_report" and ctx.letter_date.isoformat() == "2026-11-22"
    # the context file written by render --context-out reads back as the same context
    assert CheckContext.from_dict(ctx.to_file()) == ctx


# ---- a field pasted into the template's own sentence: phrase or sentence, both read right ----------------
@pytest.mark.parametrize("typed,sentence", [
    ("浴室で足を滑らせ、尻もちをつかれる事故", False), ("右手の甲に小さな擦り傷", False),
    ("食後の服薬が遅れたこと", False), ("廊下で車いすから滑り落ちそうになられました。", True),
    ("ベッドの柵に腕をぶつけられた", True), ("夕食後に吐き気を訴えられています", True),
    ("配膳の順番が違っていたようです", True), ("口の中に小さなやけどをされる事故。", False),
])
def test_is_sentence_tells_a_typed_sentence_from_a_noun_phrase(typed, sentence):
    assert japanese.is_sentence(typed) is sentence


def test_ending_adds_the_predicate_only_after_a_phrase_and_drops_a_final_stop():
    assert japanese.ending("食堂で椅子からずり落ちられる事故", phrase="がございました") == \
        "食堂で椅子からずり落ちられる事故がございました"
    assert japanese.ending("食堂で椅子からずり落ちられました。", phrase="がございました") == "食堂で椅子からずり落ちられました"
    assert japanese.ending("面会の予約が重なっていました", sentence="件") == "面会の予約が重なっていました件"
    assert japanese.ending("面会予約の重複", sentence="件") == "面会予約の重複"


def _body(library, tid, **fields):
    data = {**sample(tid), **fields}
    return library.render(tid, data, _facility(tid))


def test_incident_report_reads_right_with_a_phrase_or_a_sentence(library):
    phrase = _body(library, "incident_report", incident_summary="食堂で椅子からずり落ちられる事故")
    assert "キヨ様が食堂で椅子からずり落ちられる事故がございました。その状況" in phrase
    sentence = _body(library, "incident_report", incident_summary="食堂で椅子からずり落ちられ、腰を打たれました。")
    assert "キヨ様が食堂で椅子からずり落ちられ、腰を打たれました。その状況" in sentence
    assert "ましたがございました" not in sentence and "。。" not in sentence


@pytest.mark.parametrize("tid,field,typed,expected", [
    ("complaint_reply", "complaint_summary", "面会の予約が二重に入っていました", "面会の予約が二重に入っていました件について"),
    ("city_office_reply", "inquiry", "福祉用具の貸与について確認したいことがあります",
     "福祉用具の貸与について確認したいことがあります件について"),
    ("request_notice", "purpose", "来月から冬物の衣類に入れ替えます。", "さて、来月から冬物の衣類に入れ替えますので、"),
    ("thanks", "occasion", "敬老会でお手製の花飾りをいただきました", "敬老会でお手製の花飾りをいただきましたこと、"),
])
def test_other_templates_take_a_typed_sentence_too(library, tid, field, typed, expected):
    text = _body(library, tid, **{field: typed})
    assert expected in text
    assert "。、" not in text and "。について" not in text


def test_a_bundled_template_pastes_no_free_text_before_its_own_predicate():
    """The incident pattern 「{{ x }}がございました」 (and について・、 after a free-text field) goes through
    `ending`, so a sentence typed into the field never reads 「…ましたがございました」."""
    import re
    import tomllib

    for toml in config.templates_dir().glob("*.toml"):
        fields = tomllib.loads(toml.read_text(encoding="utf-8"))["fields"]
        free = {f["name"] for f in fields if f.get("type", "text") == "text" and not f.get("role")}
        source = toml.with_suffix(".j2").read_text(encoding="utf-8")
        for m in re.finditer(r"\{\{\s*(\w+)\s*\}\}(がございました|となりました|がありました|について|、)", source):
            assert m.group(1) not in free, f"{toml.stem}: {m.group(0)}"


def test_examples_are_placeholders_from_the_example_key_or_an_example_in_help(tmp_path, library):
    from desktop_app.core.templates import parse_schema

    summary = library.get("incident_report").field("incident_summary")
    assert summary.label == "事故の内容（例：居室で転倒される事故）"
    assert summary.placeholder == "例：居室で転倒される事故"
    (tmp_path / "own.j2").write_text("{{ a }}{{ b }}{{ c }}\n", encoding="utf-8")
    (tmp_path / "own.toml").write_text(
        'title = "自作"\n[[fields]]\nname = "a"\nlabel = "A"\nexample = "秋の作品展"\n'
        '[[fields]]\nname = "b"\nlabel = "B"\nhelp = "例：午前10時から。会場は食堂です。"\n'
        '[[fields]]\nname = "c"\nlabel = "C"\nhelp = "自由に書きます。"\n', encoding="utf-8")
    info = parse_schema(tmp_path / "own.toml", "user")
    assert [f.placeholder for f in info.fields] == ["例：秋の作品展", "例：午前10時から", ""]
    (tmp_path / "own.toml").write_text('title = "自作"\n[[fields]]\nname = "a"\nlabel = "A"\nexample = 3\n',
                                       encoding="utf-8")
    with pytest.raises(TemplateError, match="example"):
        parse_schema(tmp_path / "own.toml", "user")
