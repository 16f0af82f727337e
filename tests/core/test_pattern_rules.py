"""Pattern rules (no model needed): tables of texts that must and must not give a finding."""

import pytest

from desktop_app.core.checks.rules.identifiers import my_number_valid

FACILITY = {"facility": {"name": "特別養護老人ホーム 楓の森", "address": "〒606-8103 京都府京都市左京区高野泉町28番地4",
                         "phone": "075-722-6418", "email": "info@kaede.example.jp"}}


def cats(runner, text, context=FACILITY):
    return [(f.category, f.text) for f in runner.check(text, context)]


@pytest.mark.parametrize("text,expected", [
    ("長女様の携帯 090-1234-5678 までご連絡", "090-1234-5678"),
    ("携帯電話　０８０－４４１７－２０９３", "０８０－４４１７－２０９３"),
    ("ご自宅 03(3412)5678 へ", "03(3412)5678"),
    ("電話番号09037714582にお電話", "09037714582"),
    ("電話：０７０ー１１２２ー３３４４", "０７０ー１１２２ー３３４４"),
])
def test_phone_numbers_in_any_format_are_found(pattern_runner, text, expected):
    assert ("pii.phone", expected) in cats(pattern_runner, text)


@pytest.mark.parametrize("text", [
    "TEL 075-722-6418", "ＦＡＸ 075-722-6419", "お問い合わせは０７５－７２２－６４１８まで",
    "被保険者番号 0123456789", "合計15,400円", "令和6年11月9日", "〒606-8103",
])
def test_facility_numbers_and_non_phones_are_not_phones(pattern_runner, text):
    assert not [c for c in cats(pattern_runner, text) if c[0] == "pii.phone"]


@pytest.mark.parametrize("text,expected", [
    ("ご連絡は ryosuke.urata@outlook.jp へ", "ryosuke.urata@outlook.jp"),
    ("担当 t.yamada@example-care.jp", "t.yamada@example-care.jp"),
])
def test_personal_email_is_found(pattern_runner, text, expected):
    assert ("pii.email", expected) in cats(pattern_runner, text)


@pytest.mark.parametrize("text", ["お問い合わせ info@kaede.example.jp", "office@example.jp までメール"])
def test_generic_facility_email_is_not_a_finding(pattern_runner, text):
    assert not [c for c in cats(pattern_runner, text) if c[0] == "pii.email"]


@pytest.mark.parametrize("text,expected", [
    ("新しいご住所　〒721-0907 広島県福山市春日町6丁目3番15号 グリーンコート春日205号\n",
     "〒721-0907 広島県福山市春日町6丁目3番15号 グリーンコート春日205号"),
    ("住所　城北市白山町3丁目7番地15\n", "城北市白山町3丁目7番地15"),
])
def test_home_address_is_one_span(pattern_runner, text, expected):
    assert ("pii.address", expected) in cats(pattern_runner, text)


def test_facility_address_is_not_an_address(pattern_runner):
    assert not cats(pattern_runner, "〒606-8103 京都府京都市左京区高野泉町28番地4")
    assert not [c for c in cats(pattern_runner, "会場は京都市左京区高野泉町28番地4です") if c[0] == "pii.address"]


def test_my_number_check_digit():
    assert my_number_valid("123456789018")
    assert not my_number_valid("123456789012")
    assert not my_number_valid("12345678901")


@pytest.mark.parametrize("text,expected", [
    ("マイナンバー：1234 5678 9018", "1234 5678 9018"),
    ("個人番号 123456789018", "123456789018"),
    ("被保険者番号 1420573396／要介護2", "1420573396"),
    ("被保険者番号　００４１２８３７", "００４１２８３７"),
    ("基礎年金番号 1234-567890", "1234-567890"),
])
def test_identifiers_after_a_keyword_are_found_number_only(pattern_runner, text, expected):
    assert ("pii.id_number", expected) in cats(pattern_runner, text)


def test_my_number_is_high(pattern_runner):
    f = [f for f in pattern_runner.check("マイナンバー 123456789018") if f.category == "pii.id_number"]
    assert f and f[0].severity.value == "high"


@pytest.mark.parametrize("text", ["城長支第1284号", "123456789018円", "契約書第12条", "お部屋は205号室です"])
def test_numbers_without_keyword_are_not_identifiers(pattern_runner, text):
    assert not [c for c in cats(pattern_runner, text) if c[0] == "pii.id_number"]


def test_personal_bank_account_is_found_but_facility_account_is_not(pattern_runner):
    personal = "申請書にご記入いただいた口座（北陸銀行 城北支店 普通 3128840）へお振り込みいたします。"
    assert ("pii.bank_account", "北陸銀行 城北支店 普通 3128840") in cats(pattern_runner, personal)
    own = "お振込先　肥後銀行 黒髪支店 普通 1204738　カ）コモレビケア\nお振込みください。"
    assert not [c for c in cats(pattern_runner, own) if c[0] == "pii.bank_account"]


@pytest.mark.parametrize("text,expected", [
    ("氏名　矢島 フサエ 様（昭和11年5月9日生）", "昭和11年5月9日生"),
    ("生年月日：1938年4月2日", "1938年4月2日"),
    ("5月3日のお誕生日には", "5月3日"),
])
def test_birthdates(pattern_runner, text, expected):
    assert ("pii.birthdate", expected) in cats(pattern_runner, text)


def test_event_dates_are_not_birthdates(pattern_runner):
    assert not [c for c in cats(pattern_runner, "令和6年11月9日に敬老会を行います") if c[0] == "pii.birthdate"]


@pytest.mark.parametrize("text,found", [
    ("来月には90歳のお誕生日を迎えられます", "90歳"),
    ("満100歳のお祝い", "100歳"),
    ("今年米寿を迎えられたキヨ様", "米寿"),
    ("８７歳になられました", "８７歳"),
])
def test_ages_of_people(pattern_runner, text, found):
    assert ("pii.age", found) in cats(pattern_runner, text)


@pytest.mark.parametrize("text", ["90歳以上の方は無料です", "65歳から対象です", "定員30名"])
def test_generic_ages_are_not_findings(pattern_runner, text):
    assert not [c for c in cats(pattern_runner, text) if c[0] == "pii.age"]
