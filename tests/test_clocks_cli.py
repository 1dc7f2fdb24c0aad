"""`dsar deadline`: JSON output and clean usage errors (exit code 2, no traceback)."""
import json

import pytest
from click.testing import CliRunner

from dsar.clocks.cli import deadline_command

EXAMPLE = ["--received", "2026-01-31T10:00:00+01:00", "--country", "FR", "--timezone", "Europe/Paris"]


def run(*args: str):
    return CliRunner().invoke(deadline_command, list(args))


def test_example_command_prints_the_due_dates() -> None:
    result = run(*EXAMPLE)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # 28 February 2026 is a Saturday (and 1 March a Sunday) -> Monday 2 March.
    assert out["statutory_due"] == "2026-03-02"
    assert out["extended_due"] == "2026-04-30"
    # Received on a Saturday: Mon 2, Tue 3, Wed 4 February.
    assert out["processor_sla_due"] == "2026-02-04"
    assert out["forwarding_due"] == "2026-02-02"
    assert out["received_local_date"] == "2026-01-31"
    assert out["holidays_skipped"] == []
    assert "clocks" not in out


def test_today_adds_clock_states() -> None:
    result = run(*EXAMPLE, "--today", "2026-02-10")
    assert result.exit_code == 0, result.output
    clocks = json.loads(result.stdout)["clocks"]
    assert (clocks["statutory"]["state"], clocks["statutory"]["days_left"]) == ("running", 20)
    assert (clocks["processor_sla"]["state"], clocks["processor_sla"]["days_left"]) == ("missed", -6)
    assert (clocks["forwarding"]["state"], clocks["forwarding"]["days_left"]) == ("missed", -8)


def test_due_today_is_still_running() -> None:
    result = run(*EXAMPLE, "--today", "2026-03-02")
    assert json.loads(result.stdout)["clocks"]["statutory"] == {
        "name": "statutory", "started_on": "2026-01-31", "due": "2026-03-02",
        "state": "running", "days_left": 0, "extended": False,
    }


def test_naive_received_is_read_in_the_given_time_zone() -> None:
    # 23:30 on 31 January without an offset is Paris time, so still 31 January there.
    paris = json.loads(run("--received", "2026-01-31T23:30", "--country", "FR",
                           "--timezone", "Europe/Paris").stdout)
    assert paris["received"] == "2026-01-31T23:30:00+01:00"
    assert paris["statutory_due"] == "2026-03-02"
    # With an offset, the instant is converted: 23:30 UTC is 00:30 on 1 February in Paris.
    utc = json.loads(run("--received", "2026-01-31T23:30:00Z", "--country", "FR",
                         "--timezone", "Europe/Paris").stdout)
    assert utc["received_local_date"] == "2026-02-01"
    assert utc["statutory_due"] == "2026-03-02"  # 1 March 2026 is a Sunday
    assert utc["forwarding_due"] == "2026-02-02"


def test_options_change_the_working_day_periods() -> None:
    # Thursday 30 April 2026 at 18:00, Paris; 1 May (Friday) is a holiday.
    args = ["--received", "2026-04-30T18:00", "--country", "FR", "--timezone", "Europe/Paris"]
    plain = json.loads(run(*args).stdout)
    assert plain["processor_sla_due"] == "2026-05-06"  # Mon 4, Tue 5, Wed 6
    late = json.loads(run(*args, "--cutoff", "17:00", "--sla-days", "1", "--forwarding-days", "2").stdout)
    assert late["processor_sla_due"] == "2026-05-05"  # deemed received Mon 4 May -> Tue 5
    assert late["forwarding_due"] == "2026-05-05"
    assert {"date": "2026-05-01", "name": "Labor Day"} in late["holidays_skipped"]


def test_subdivision_changes_the_holidays() -> None:
    args = ["--received", "2024-12-06T10:00", "--country", "DE", "--timezone", "Europe/Berlin"]
    assert json.loads(run(*args).stdout)["statutory_due"] == "2025-01-06"
    bavaria = json.loads(run(*args, "--subdivision", "BY").stdout)
    assert bavaria["statutory_due"] == "2025-01-07"
    assert bavaria["holidays_skipped"] == [{"date": "2025-01-06", "name": "Epiphany"}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XX"], "unknown country 'XX'"),
        (["--subdivision", "Madrid"], "unknown subdivision 'Madrid' for FR"),
        (["--timezone", "Europe/Pariss"], "unknown time zone 'Europe/Pariss'"),
        (["--received", "31/01/2026"], "'31/01/2026' is not an ISO 8601 date-time"),
        (["--today", "2026-02-30"], "'2026-02-30' is not a date"),
        (["--sla-days", "-1"], "--sla-days"),
        (["--forwarding-days", "-2"], "--forwarding-days"),
        (["--cutoff", "5pm"], "'5pm' is not a local time"),
    ],
)
def test_bad_input_is_a_usage_error(args: list[str], message: str) -> None:
    result = run(*EXAMPLE, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_missing_required_option() -> None:
    result = run("--country", "FR", "--timezone", "Europe/Paris")
    assert result.exit_code == 2 and "--received" in result.output
