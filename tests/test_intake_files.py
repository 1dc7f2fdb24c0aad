"""`dsar ingest FILE...`: .eml and mbox files through the same pipeline; twice is once."""
from __future__ import annotations

import re
import shutil

from emails_intake import path

REFERENCE = re.compile(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}")


def references(output: str) -> list[str]:
    return REFERENCE.findall(output)


def requests(client, token) -> dict[str, dict]:
    items = client.get("/api/v1/requests", headers=token("operator_admin")).json["items"]
    return {r["reference"]: r for r in items}


def test_an_eml_file_opens_one_request_and_importing_it_again_opens_nothing(runner, client, token, smtp):
    eml = str(path("access_fr_alias.eml"))
    first = runner.invoke(args=["ingest", eml])
    assert first.exit_code == 0, first.output
    assert f"{eml}  <CAFx8a2-access-fr-1@mail.example>  opened DSR-" in first.output
    assert "1 message(s): 1 opened" in first.output
    again = runner.invoke(args=["ingest", eml])
    assert again.exit_code == 0 and "already had" in again.output and "1 already had" in again.output
    assert references(again.output) == references(first.output)
    assert list(requests(client, token)) == references(first.output)
    assert len(smtp.messages) == 1


def test_an_mbox_of_three_opens_three_requests_once(runner, client, token, smtp):
    mbox = str(path("three.mbox"))
    first = runner.invoke(args=["ingest", mbox])
    assert first.exit_code == 0, first.output
    for n, message_id in enumerate(["mbox-1-rect-es", "mbox-2-access-de", "mbox-3-objection-en"], 1):
        assert f"{mbox}#{n}  <{message_id}@mail.example>  opened DSR-" in first.output
    opened = requests(client, token)
    assert sorted((r["controller"], tuple(r["rights"]), r["language"]) for r in opened.values()) == [
        ("cabinet-martin", ("objection",), "en"),
        ("kanzlei-huber", ("access",), "de"),
        ("notaria-serrano", ("rectification",), "es"),
    ]
    rectification = next(r for r in opened.values() if r["rights"] == ["rectification"])
    assert "Calle Mayor 12" in rectification["corrections"]["text"]
    again = runner.invoke(args=["ingest", mbox])
    assert again.exit_code == 0 and again.output.count("already had") == 4  # 3 lines and the summary
    assert sorted(references(again.output)) == sorted(references(first.output))
    assert len(requests(client, token)) == 3 and len(smtp.messages) == 3


def test_unreadable_files_are_named_and_the_others_still_imported(runner, client, token, tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.eml"
    garbage.write_bytes(bytes(range(256)) * 8)
    result = runner.invoke(args=["ingest", str(tmp_path / "missing.eml"), str(empty),
                                 str(path("not_request.eml")), str(garbage)])
    assert result.exit_code == 1
    assert "missing.eml  ERROR: no such file" in result.output
    assert "empty.eml  ERROR: empty file" in result.output
    assert "not_request" in result.output and "needs_triage" in result.output
    assert "2 message(s): 1 needs_triage, 1 not_request; 2 unreadable" in result.output
    listed = client.get("/api/v1/messages", headers=token("operator_admin")).json["items"]
    assert len(listed) == 2


def test_a_folder_is_imported_file_by_file(runner, tmp_path, client, token):
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(path("erasure_en_named.eml"), folder / "a.eml")
    shutil.copy(path("out_of_office.eml"), folder / "sub" / "b.eml")
    result = runner.invoke(args=["ingest", str(folder)])
    assert result.exit_code == 0, result.output
    assert "a.eml  <20260203180244.erasure-en@mail.example>  opened" in result.output
    assert "b.eml  <ooo-20260204-0800@client.example>  auto_reply" in result.output


def test_ingest_needs_a_file(runner):
    result = runner.invoke(args=["ingest"])
    assert result.exit_code == 2 and "PATHS" in result.output
