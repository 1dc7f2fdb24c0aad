"""The operator commands are wired into `dsar` and behave as the README says."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_deadline_command_prints_the_issue_example(runner):
    result = runner.invoke(args=["deadline", "--received", "2026-01-31T10:00:00+01:00",
                                 "--country", "FR", "--timezone", "Europe/Paris"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # 28 Feb 2026 is a Saturday -> Monday 2 March; +3 months = 30 April (Thursday).
    assert out["statutory_due"] == "2026-03-02"
    assert out["extended_due"] == "2026-04-30"
    assert out["processor_sla_due"] == "2026-02-04"  # Sat 31 Jan: Mon 2, Tue 3, Wed 4


def test_config_check_reports_every_problem(runner):
    good = runner.invoke(args=["config", "check", str(ROOT / "config/examples/aplanet.yaml")])
    assert good.exit_code == 0 and "OK" in good.output
    broken = runner.invoke(args=["config", "check", str(ROOT / "tests/registers/broken")])
    assert broken.exit_code == 1
    assert broken.output.count("\n") >= 5  # every problem, one per line, not only the first


def test_register_sync_is_idempotent_and_refuses_a_broken_register(runner, app):
    assert runner.invoke(args=["register", "sync"]).exit_code == 0
    again = runner.invoke(args=["register", "sync"])
    assert again.exit_code == 0 and "4 controllers" in again.output
    broken = runner.invoke(args=["register", "sync", str(ROOT / "tests/registers/broken")])
    assert broken.exit_code == 1


def test_the_console_script_runs_outside_python(tmp_path):
    """`dsar` as installed: help lists the project's commands."""
    dsar = Path(sys.executable).with_name("dsar")
    result = subprocess.run([str(dsar), "--help"], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "DSAR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 0, result.stderr
    for command in ("deadline", "tokens", "audit", "config", "register", "db", "run", "routes"):
        assert f"  {command}" in result.stdout


def test_migrations_match_the_models(runner):
    """A model changed without a migration fails here, not in someone's production upgrade."""
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_demo_data_fills_every_stage_once(runner, client, token):
    first = runner.invoke(args=["demo-data", "--count", "30"])
    assert first.exit_code == 0 and "30 requests filed" in first.output
    listed = client.get("/api/v1/requests?limit=100", headers=token("operator_admin")).json["items"]
    assert len(listed) == 30
    assert {"received", "routed", "answered"} <= {r["status"] for r in listed}
    assert len({r["controller"] for r in listed}) > 1
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0 and "nothing added" in again.output
    assert len(client.get("/api/v1/requests?limit=100", headers=token("operator_admin")).json["items"]) == 30
