"""Whole letters written for these tests (not from the development corpus), checked end to end."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.nlp
DATA = Path(__file__).resolve().parents[1] / "data"

LEAKS_CTX = {"facility": {"name": "有料老人ホーム 若葉の丘", "address": "〒460-0011 愛知県名古屋市中区大須2丁目8番11号",
                          "phone": "052-231-4400"},
             "recipient": {"name": "桑原 美穂"}, "subject": {"name": "桑原 トシ子"}, "sender": {"name": "平野 翔"}}


def test_monthly_letter_with_many_kinds_of_personal_data(runner):
    text = (DATA / "monthly_leaks.txt").read_text(encoding="utf-8")
    got = {(f.category, f.text, f.severity.value) for f in runner.check(text, LEAKS_CTX)}
    expected = {
        ("pii.age", "八十七歳", "medium"),
        ("pii.health", "右足のむくみ", "medium"),
        ("pii.health", "心不全", "medium"),
        ("pii.health", "利尿剤", "medium"),
        ("pii.person", "栗田", "low"),            # 主治医
        ("pii.person", "相沢", "high"),           # a neighbour
        ("pii.person", "今井\u3000正男", "high"),  # the resident next door
        ("pii.person", "今井", "high"),
        ("pii.health", "統合失調症", "high"),     # a third party's diagnosis
        ("pii.person", "達也", "low"),            # ご長男
        ("pii.address", "名古屋市昭和区八事本町15番地の3 ハイツ八事102", "medium"),
        ("pii.phone", "０９０（１２３４）５６７８", "medium"),
        ("pii.id_number", "1234 5678 9018", "high"),
        ("pii.birthdate", "昭和十三年二月三日", "medium"),
        ("pii.person", "村上", "low"),            # 看護師
        ("risk.ambiguous", "できるだけご希望に添えるよう調整いたします", "medium"),
        ("risk.commitment", "同様の転倒は決して起こさないよう万全を期します", "high"),
        ("risk.liability", "職員の見守り不足によるものでした", "high"),
    }
    assert expected <= got, expected - got
    highs = {t for c, t, s in got if s == "high" and c == "pii.person"}
    assert highs == {"相沢", "今井\u3000正男", "今井"}


def test_notice_with_places_companies_amounts_and_facility_details_has_no_pii(runner):
    text = (DATA / "notice_no_pii.txt").read_text(encoding="utf-8")
    ctx = {"facility": {"name": "デイサービスセンター あおば", "address": "〒980-0811 宮城県仙台市青葉区一番町3丁目4番5号",
                        "phone": "022-261-7788"}, "recipient": {"name": None}, "sender": {"name": "千葉 由美"}}
    findings = runner.check(text, ctx)
    assert {f.category for f in findings} == {"pii.person"}
    assert all(f.severity.value == "low" for f in findings)
    assert {f.text for f in findings} == {"佐藤 正", "千葉", "千葉 由美"}


def test_payment_letter_separates_facility_and_family_accounts(runner):
    text = (DATA / "payment_with_accounts.txt").read_text(encoding="utf-8")
    ctx = {"facility": {"name": "グループホーム こもれび", "address": "〒790-0003 愛媛県松山市三番町4丁目7番2号",
                        "phone": "089-921-5566"},
           "recipient": {"name": "岡本 聡"}, "subject": {"name": "岡本 フミ"}, "sender": {"name": "矢野 真理子"}}
    got = {(f.category, f.text, f.severity.value) for f in runner.check(text, ctx)}
    assert ("pii.bank_account", "愛媛銀行 本店営業部 普通 0048812", "medium") in got
    assert not any(c == "pii.bank_account" and "伊予銀行" in t for c, t, _ in got)
    assert ("pii.person", "森本", "low") in got          # a volunteer in that role
    assert ("pii.person", "西村", "high") in got          # another table's residents
    assert {t for c, t, s in got if s == "high"} == {"西村"}


def test_city_office_reply_flags_the_other_citizen_only(runner):
    text = (DATA / "city_office_reply.txt").read_text(encoding="utf-8")
    ctx = {"facility": {"name": "北見市 保健福祉部 介護福祉課", "address": "〒090-8501 北海道北見市大通西2丁目1番地",
                        "phone": "0157-25-1111"},
           "recipient": {"name": "三好 和夫"}, "subject": {"name": "三好 ヨシエ"}, "sender": {"name": "工藤 亮"}}
    findings = runner.check(text, ctx)
    assert {f.text for f in findings if f.severity.value == "high"} == {"松永"}
    assert {f.text for f in findings if f.category == "pii.health"} == {"脳血管性認知症", "要介護1"}
    assert not [f for f in findings if f.category in ("pii.phone", "risk.commitment")]
