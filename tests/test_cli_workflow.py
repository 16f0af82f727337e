"""The workflow's command line: users, letters and audit, with its exit codes (0 ok, 1 findings block,
2 usage, 3 refused by the workflow). Runs on SQLite and on PostgreSQL through --db."""

from __future__ import annotations

import io
import json

import pytest

from desktop_app.cli import main

LETTER = "山田 一郎 様\n\n拝啓　今月のご様子をお知らせいたします。お元気に過ごされています。\n敬具\n"


@pytest.fixture
def cli(db_url, monkeypatch, capsys, runner):
    import desktop_app.cli as cli_module
    import desktop_app.cli_workflow as wf

    monkeypatch.setattr(cli_module, "_runner", lambda load_model=True: runner)  # GiNZA once per session

    def run(*argv, stdin: str = ""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        monkeypatch.setattr(wf, "_stdin_lines", None)
        code = main(["--db", db_url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

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
    code, out, _ = cli("users", "list")
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
    code, out, _ = cli("letters", "list", "--status", "approved")
    assert code == 0 and out.startswith(f"{lid}\tapproved\t承認済み")
    code, out, _ = cli("letters", "export", lid, "--out", str(out_docx), "--as", "kaori", "--password-stdin",
                       stdin="kaori-pass1\n")
    assert code == 0 and out_docx.exists() and "sha256" in out
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact" in out
    code, out, _ = cli("audit", "show", "--letter", lid)
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
    code, out, _ = cli("letters", "show", lid)
    assert "returned" in out and "時候の挨拶を入れてください" in out


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
