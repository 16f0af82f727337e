"""What the reviewer's queue says about each letter without opening it: the resident and the family from the
letter's form, and how long it has waited (fixed times), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from desktop_app.core import accounts
from desktop_app.core.context import Facility
from desktop_app.core.db.models import Letter
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.queries import _names_of
from desktop_app.core.workflow.state import waiting_ja

NOW = dt.datetime(2026, 12, 3, 15, 0)


@pytest.mark.parametrize(("submitted", "text"), [
    (NOW, "1分未満"),
    (NOW - dt.timedelta(seconds=59), "1分未満"),
    (NOW + dt.timedelta(minutes=3), "1分未満"),  # another PC's clock a little ahead
    (NOW - dt.timedelta(minutes=1), "1分"),
    (NOW - dt.timedelta(minutes=59, seconds=59), "59分"),
    (NOW - dt.timedelta(hours=1), "1時間"),
    (NOW - dt.timedelta(hours=2, minutes=40), "2時間"),
    (NOW - dt.timedelta(hours=23, minutes=59), "23時間"),
    (NOW - dt.timedelta(days=1), "1日"),
    (NOW - dt.timedelta(days=3, hours=20), "3日"),
    (NOW - dt.timedelta(days=45), "45日"),
    ("2026-12-03 12:30:00.000000", "2時間"),  # SQLite's text
    (dt.datetime(2026, 12, 3, 21, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))), "2時間"),  # 12:30 UTC
    (None, ""),
    ("不明", ""),
])
def test_waiting_time_reads_as_a_person_says_it(submitted, text):
    assert waiting_ja(submitted, NOW) == text


@pytest.mark.parametrize(("fields", "names"), [
    ({"recipient_name": "野口 恵美", "resident_name": "野口 トメ"}, ("野口 トメ", "野口 恵美")),
    ({"recipient_name": " 野口 恵美 ", "resident_name": ""}, ("", "野口 恵美")),
    ({"recipient_name": "ご家族の皆様"}, ("", "ご家族の皆様")),
    ({"source": "C:/文書/連絡.docx", "name": "連絡.docx"}, ("", "")),  # a Word letter has no form
    ({}, ("", "")),
    (None, ("", "")),
    ('{"resident_name": "野口 トメ"}', ("野口 トメ", "")),  # a JSON column handed back as text
])
def test_names_come_from_the_letters_form(fields, names):
    assert _names_of(fields) == names


def test_queue_lists_resident_family_and_waiting_time(db):
    svc = Services.open(db, lambda body, context: [])
    admin = accounts.add_user(db, "施設長", ["admin", "reviewer"], "admin-pass-kiku-4827", None)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム 見本の郷"), admin)
    writer = accounts.add_user(db, "作成 三郎", ["writer"], "writer-pass-kiku-4827", admin)
    about = svc.workflow.create(writer, "hospital_notice", "野口様\n入院のご連絡です。\n",
                                {"recipient_name": "野口 恵美", "resident_name": "野口 トメ"})
    notice = svc.workflow.create(writer, "event_notice", "ご家族の皆様\n餅つき会のご案内です。\n",
                                 {"recipient_name": "ご家族の皆様"})
    draft = svc.workflow.create(writer, "thanks", "下書きのままです。\n", {"recipient_name": "森 和夫"})
    for letter in (about, notice):
        svc.workflow.submit(writer, letter.id)
    with db.engine.begin() as c:
        c.execute(update(Letter).where(Letter.id == about.id).values(submitted_at=NOW - dt.timedelta(days=2)))
        c.execute(update(Letter).where(Letter.id == notice.id).values(submitted_at=NOW - dt.timedelta(minutes=30)))
    queue = svc.letters.queue()
    assert [(q.id, q.resident, q.family, waiting_ja(q.submitted, NOW)) for q in queue] == [
        (about.id, "野口 トメ", "野口 恵美", "2日"),
        (notice.id, "", "ご家族の皆様", "30分"),
    ]
    mine = {q.id: q for q in svc.letters.list(writer_id=writer.id)}
    assert (mine[draft.id].resident, mine[draft.id].family) == ("", "森 和夫")
