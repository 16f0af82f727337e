"""The workflow's command line: users, letters and audit, with its exit codes (0 ok, 1 findings block,
2 usage, 3 refused by the workflow). Runs on SQLite and on PostgreSQL through --db."""

from __future__ import annotations

import json

import pytest

from desktop_app.cli import main
from tests.conftest import run_cli

LETTER = "山田 一郎 様\n\n拝啓　今月のご様子をお知らせいたします。お元気に過ごされています。\n敬具\n"


@pytest.fixture
def cli(db_url, monkeypatch, capsys, runner):
    import desktop_app.cli_workflow as wf

    monkeypatch.setattr(wf, "_runner", lambda load_model=True: runner)  # GiNZA once per session

    def run(*argv, stdin: str = ""):
        return run_cli(monkeypatch, capsys, ["--db", db_url, *argv], stdin)

    return run


@pytest.fixture
def staffed(cli, tmp_path):
    facility = tmp_path / "facility.json"
    facility.write_text(json.dumps({"name": "特別養護老人ホーム テスト苑", "phone": "03-1111-2222"}, ensure_ascii=False),
                        encoding="utf-8")
    assert cli("users", "add", "boss", "--role", "admin", "--password-stdin", stdin="boss-pass1\n")[0] == 0
    assert cli("facility", "set", str(facility), "--as", "boss", "--password-stdin", stdin="boss-pass1\n")[0] == 0
    assert cli("users", "add", "kaori", "--role", "writer", "--as", "boss", "--password-stdin",
               stdin="boss-pass1\nkaori-pass1\n")[0] == 0
    assert cli("users", "add", "chief", "--role", "reviewer", "--as", "boss", "--password-stdin",
               stdin="boss-pass1\nchief-pass1\n")[0] == 0
    letter = tmp_path / "letter.txt"
    letter.write_text(LETTER, encoding="utf-8")
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"recipient": {"name": "山田 一郎"}}, ensure_ascii=False), encoding="utf-8")
    return letter, ctx


def test_users_list_shows_roles(cli, staffed):
    code, out, _ = _as(cli, "boss", "users", "list")
    assert code == 0 and "kaori\twriter\t作成者" in out and "chief\treviewer\t確認者" in out


def test_a_letter_from_draft_to_export_and_every_refusal(cli, staffed, tmp_path):
    letter, ctx = staffed
    code, out, _ = cli("letters", "new", str(letter), "--template", "monthly_report", "--context", str(ctx),
                       "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")
    assert code == 0
    lid = out.strip()
    out_docx = tmp_path / "sent.docx"
    # export before approval: refused by the workflow
    code, _, err = cli("letters", "export", lid, "--out", str(out_docx), "--as", "kaori", "--password-stdin",
                       stdin="kaori-pass1\n")
    assert code == 3 and "承認" in err and not out_docx.exists()
    assert cli("letters", "submit", lid, "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")[0] == 0
    # wrong password, missing role: refused with one line saying why
    code, _, err = cli("letters", "approve", lid, "--as", "chief", "--password-stdin", stdin="wrong\n")
    assert code == 3 and "パスワード" in err
    code, _, err = cli("letters", "approve", lid, "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")
    assert code == 3 and "確認者" in err
    assert cli("letters", "approve", lid, "--as", "chief", "--password-stdin", stdin="chief-pass1\n")[0] == 0
    code, out, _ = _as(cli, "chief", "letters", "list", "--status", "approved")
    assert code == 0 and out.startswith(f"{lid}\tapproved\t承認済み")
    code, out, _ = cli("letters", "export", lid, "--out", str(out_docx), "--as", "kaori", "--password-stdin",
                       stdin="kaori-pass1\n")
    assert code == 0 and out_docx.exists() and "sha256" in out
    code, out, _ = cli("audit", "verify")  # no login: a count and where a chain breaks, nothing personal
    assert code == 0 and "intact" in out
    code, out, _ = _as(cli, "boss", "audit", "show", "--letter", lid)
    assert [ln.split("\t")[3] for ln in out.splitlines()] == ["create", "submit", "approve", "export"]


def test_an_edit_after_approval_makes_the_approval_stale(cli, staffed, tmp_path):
    letter, ctx = staffed
    lid = cli("letters", "new", str(letter), "--template", "monthly_report", "--context", str(ctx), "--as", "kaori",
              "--password-stdin", stdin="kaori-pass1\n")[1].strip()
    cli("letters", "submit", lid, "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")
    cli("letters", "approve", lid, "--as", "chief", "--password-stdin", stdin="chief-pass1\n")
    edited = tmp_path / "edited.txt"
    edited.write_text(LETTER + "追伸\n", encoding="utf-8")
    code, out, _ = cli("letters", "edit", lid, str(edited), "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")
    assert code == 0 and "draft" in out
    code, _, err = cli("letters", "export", lid, "--out", str(tmp_path / "x.docx"), "--as", "kaori",
                       "--password-stdin", stdin="kaori-pass1\n")
    assert code == 3 and "無効" in err


def test_high_findings_block_approval_until_the_reviewer_accepts_them(cli, staffed, tmp_path):
    letter, ctx = staffed
    leak = tmp_path / "leak.txt"
    leak.write_text(LETTER.replace("お元気に", "同室の鈴木 次郎様（マイナンバー 123456789018）とお元気に"),
                    encoding="utf-8")
    lid = cli("letters", "new", str(leak), "--template", "monthly_report", "--context", str(ctx), "--as", "kaori",
              "--password-stdin", stdin="kaori-pass1\n")[1].strip()
    cli("letters", "submit", lid, "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")
    code, _, err = cli("letters", "approve", lid, "--as", "chief", "--password-stdin", stdin="chief-pass1\n")
    assert code == 1 and ("マイナンバー" in err or "個人番号" in err)
    code, _, _ = cli("letters", "approve", lid, "--as", "chief", "--accept", "ご家族の依頼で記載、電話で確認済み",
                     "--password-stdin", stdin="chief-pass1\n")
    assert code == 0


def test_return_with_a_comment_is_shown_to_the_writer(cli, staffed):
    letter, ctx = staffed
    lid = cli("letters", "new", str(letter), "--template", "monthly_report", "--as", "kaori", "--password-stdin",
              stdin="kaori-pass1\n")[1].strip()
    cli("letters", "submit", lid, "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")
    code, _, _ = cli("letters", "return", lid, "--comment", "時候の挨拶を入れてください", "--as", "chief",
                     "--password-stdin", stdin="chief-pass1\n")
    assert code == 0
    code, out, _ = _as(cli, "chief", "letters", "show", lid)
    assert "returned" in out and "時候の挨拶を入れてください" in out


def _as(cli, who, *argv):
    return cli(*argv, "--as", who, "--password-stdin", stdin=f"{who}-pass1\n")


def test_a_word_letter_goes_through_review_and_is_exported_into_a_copy_of_the_original(cli, staffed, tmp_path):
    import zipfile

    from docx import Document

    from tests.core.docx_fixtures import (
        AUTHOR,
        COMPANY,
        DIAGNOSIS,
        HEADER_PHONE,
        THIRD_PARTY,
        build_letter_docx,
    )

    src = build_letter_docx(tmp_path / "12月のご連絡.docx")
    before = src.read_bytes()
    code, _, err = _as(cli, "kaori", "letters", "new", str(src), "--template", "monthly_report")
    assert code == 2 and "--template" in err  # a .docx keeps its own layout
    empty = tmp_path / "空.docx"
    Document().save(str(empty))  # python-docx still writes an author into its properties
    code, _, err = _as(cli, "kaori", "letters", "new", str(empty))
    assert code == 2 and "文字がありません" in err
    (tmp_path / "壊れた.docx").write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = _as(cli, "kaori", "letters", "new", str(tmp_path / "壊れた.docx"))
    assert code == 2 and "Traceback" not in err
    code, out, _ = _as(cli, "kaori", "letters", "new", str(src))
    assert code == 0
    lid = out.strip()
    code, out, _ = _as(cli, "chief", "letters", "list")
    assert code == 0 and f"{lid}\tdraft" in out
    # the writer masks the other resident's name in the table cell (the text, not the layout, is edited)
    code, body, _ = _as(cli, "chief", "letters", "show", lid)
    body = body.split("\n", 1)[1]
    assert THIRD_PARTY in body
    edited = tmp_path / "edited.txt"
    edited.write_text(body.replace(THIRD_PARTY, "〇〇"), encoding="utf-8")
    assert _as(cli, "kaori", "letters", "edit", lid, str(edited))[0] == 0
    code, out, _ = _as(cli, "kaori", "letters", "submit", lid)
    assert code == 0 and "high 0" in out  # the only high finding was the other resident's name
    # two versions now: the reviewer says which one they read (issue 21: approve what was read)
    code, _, err = _as(cli, "chief", "letters", "approve", lid)
    assert code == 2 and "--version" in err and "第2版" in err
    code, _, err = _as(cli, "chief", "letters", "approve", lid, "--version", "1")
    assert code == 3 and "ほかの方が先に変更しました" in err and "第1版" in err
    code, shown, _ = _as(cli, "chief", "letters", "show", lid)
    assert "第2版" in shown.split("\n", 1)[0]
    assert _as(cli, "chief", "letters", "approve", lid, "--version", "2")[0] == 0
    out_txt = tmp_path / "sent.txt"
    code, _, err = _as(cli, "kaori", "letters", "export", lid, "--out", str(out_txt))
    assert code == 2 and ".docx" in err and not out_txt.exists()
    out_docx = tmp_path / "送付用.docx"
    code, out, err = _as(cli, "kaori", "letters", "export", lid, "--out", str(out_docx))
    assert code == 0, err
    assert "伏せ字・修正：1か所" in out and "コメント" in out and "文書のプロパティ" in out
    sent = Document(str(out_docx))
    assert len(sent.tables) == 1  # the layout of the original, not the text laid out again
    assert sent.tables[0].cell(2, 1).text == f"同室の〇〇様（{DIAGNOSIS}）と衣類の入れ替え"
    assert sent.sections[0].header.paragraphs[0].text == f"担当直通 {HEADER_PHONE}"
    assert all("下書き" not in p.text for p in sent.sections[0].header.paragraphs)
    with zipfile.ZipFile(out_docx) as z:
        for needle in (THIRD_PARTY, AUTHOR, COMPANY):
            assert all(needle.encode() not in z.read(n) for n in z.namelist()), needle
        assert "word/comments.xml" not in z.namelist()
    assert src.read_bytes() == before  # the original is never touched
    code, out, _ = _as(cli, "chief", "letters", "list", "--status", "exported")
    assert code == 0 and out.startswith(f"{lid}\t")


def test_a_word_letter_is_exported_from_the_original_stored_with_it_not_the_file_on_disk(cli, staffed, tmp_path):
    """Since migration 0008 the original is stored with the letter: a later change of the file on disk, or its
    deletion, changes nothing in what was approved and is exported. (Letters from before keep their path and
    the old refusal: tests/core/test_word_bytes.py.)"""
    from docx import Document

    from tests.core.docx_fixtures import build_letter_docx

    src = build_letter_docx(tmp_path / "連絡.docx")
    lid = _as(cli, "kaori", "letters", "new", str(src))[1].strip()
    assert _as(cli, "kaori", "letters", "submit", lid)[0] == 0
    assert _as(cli, "chief", "letters", "approve", lid, "--accept", "ご家族と確認済み")[0] == 0
    added = "Wordで後から書き足した一文です。"
    changed = Document(str(src))
    changed.add_paragraph(added)
    changed.save(str(src))
    target = tmp_path / "送付用.docx"
    code, _, err = _as(cli, "kaori", "letters", "export", lid, "--out", str(target))
    assert code == 0, err
    assert all(added not in p.text for p in Document(str(target)).paragraphs)  # the approved original
    code, out, _ = _as(cli, "chief", "letters", "list", "--status", "exported")
    assert out.startswith(f"{lid}\t")


def test_a_word_file_over_20_mb_is_refused_with_exit_2(cli, staffed, tmp_path):
    """The original is stored with the letter (issue 22): a file over the documented limit is refused before
    anything is stored, with a message saying the limit, in Japanese and English."""
    import os
    import zipfile

    from tests.core.docx_fixtures import build_letter_docx

    small = build_letter_docx(tmp_path / "写真入り.docx")
    big = tmp_path / "写真の多いお便り.docx"
    with zipfile.ZipFile(small) as z_in, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z_out:
        for item in z_in.infolist():
            z_out.writestr(item, z_in.read(item.filename))
        z_out.writestr("word/media/image99.png", os.urandom(21 * 1024 * 1024), compress_type=zipfile.ZIP_STORED)
    assert big.stat().st_size > 20 * 1024 * 1024
    code, out, err = _as(cli, "kaori", "letters", "new", str(big))
    assert code == 2 and "Traceback" not in err
    assert "上限 20 MB" in err and "写真の多いお便り.docx" in err and "at most 20 MB" in err
    code, out, _ = _as(cli, "chief", "letters", "list")
    assert code == 0 and out.strip() == ""  # nothing stored
    assert _as(cli, "kaori", "letters", "new", str(small))[0] == 0  # the same letter, smaller, is taken


def test_letter_numbers_out_of_range_are_usage_errors(cli, staffed):
    for bad in ("99999999999999999999999", "0", "-5", "abc"):
        code, _, err = cli("letters", "show", "--", bad)
        assert code == 2 and "番号" in err and "Traceback" not in err
    code, _, err = cli("audit", "show", "--letter", str(2**63))
    assert code == 2 and "番号" in err


def test_usage_errors_exit_2(cli, staffed):
    assert cli("letters", "submit", "1", "--as", "kaori", "--password-stdin", stdin="")[0] == 2
    assert cli("letters", "new", "/no/such/file.txt", "--template", "monthly_report", "--as", "kaori",
               "--password-stdin", stdin="kaori-pass1\n")[0] == 2
    letter, _ = staffed
    assert cli("letters", "new", str(letter), "--template", "no_such_template", "--as", "kaori",
               "--password-stdin", stdin="kaori-pass1\n")[0] == 2


def test_unusable_database_gets_a_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    code = main(["--db", f"sqlite:///{bad}", "letters", "list"])
    err = capsys.readouterr().err
    assert code == 2 and "corrupt" in err and "Traceback" not in err


def test_withdraw_derive_and_mine_with_their_exit_codes(cli, staffed, tmp_path):
    letter, ctx = staffed
    lid = _as(cli, "kaori", "letters", "new", str(letter), "--template", "monthly_report", "--context", str(ctx))[1].strip()
    assert _as(cli, "kaori", "letters", "withdraw", lid)[0] == 3  # a draft has no request to withdraw
    assert _as(cli, "kaori", "letters", "submit", lid)[0] == 0
    code, out, _ = _as(cli, "kaori", "letters", "withdraw", lid)
    assert code == 0 and "draft" in out and "下書き" in out
    code, out, _ = _as(cli, "kaori", "letters", "mine")
    assert code == 0 and out.startswith(f"{lid}\tdraft\t下書き\t")
    assert _as(cli, "chief", "letters", "mine")[1] == ""  # the reviewer wrote nothing
    assert _as(cli, "kaori", "letters", "derive", lid)[0] == 3  # only a sent letter
    _as(cli, "kaori", "letters", "submit", lid)
    _as(cli, "chief", "letters", "approve", lid)
    assert _as(cli, "kaori", "letters", "export", lid, "--out", str(tmp_path / "sent.docx"))[0] == 0
    edited = tmp_path / "edited.txt"
    edited.write_text(LETTER + "追伸\n", encoding="utf-8")
    code, _, err = _as(cli, "kaori", "letters", "edit", lid, str(edited))
    assert code == 3 and "送付済み" in err and "Traceback" not in err
    code, out, _ = _as(cli, "kaori", "letters", "derive", lid)
    new = out.strip()
    assert code == 0 and new.isdigit() and new != lid
    assert _as(cli, "kaori", "letters", "edit", new, str(edited))[0] == 0
    assert _as(cli, "kaori", "letters", "derive", "99999")[0] == 3  # no such letter
