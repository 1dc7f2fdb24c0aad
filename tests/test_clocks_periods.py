"""Worked examples of DESIGN §5 and the clock rules around them (pauses, states, cut-off)."""
from datetime import date, datetime, time, timezone

import pytest

from dsar.clocks import (
    Calendar,
    ClockState,
    deadlines,
    extension_allowed,
    forwarding_clock,
    months_after,
    processor_sla_clock,
    statutory_clock,
    validate_calendar,
    working_days_after,
)
from dsar.clocks.periods import instruction_start_date

FR = Calendar("FR", None, "Europe/Paris")
ES_MD = Calendar("ES", "MD", "Europe/Madrid")
GB_ENG = Calendar("GB", "ENG", "Europe/London")
DE = Calendar("DE", None, "Europe/Berlin")
DE_BY = Calendar("DE", "BY", "Europe/Berlin")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=FR.zone)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


# --- DESIGN §5 worked examples -------------------------------------------------------

def test_edpb_example_32_rolls_saturday_to_monday() -> None:
    assert d("2025-04-05").weekday() == 5
    assert months_after(d("2025-03-05"), 1, FR) == d("2025-04-07")


def test_edpb_example_33_end_of_month_and_extension() -> None:
    assert months_after(d("2025-08-31"), 1, FR) == d("2025-09-30")
    # 30 November 2025 is a Sunday.
    assert months_after(d("2025-08-31"), 3, FR) == d("2025-12-01")


def test_clamps_to_last_day_of_february_in_leap_year() -> None:
    assert months_after(d("2024-01-31"), 1, FR) == d("2024-02-29")


def test_extension_is_three_months_from_start_not_chained() -> None:
    assert months_after(d("2025-01-31"), 1, FR) == d("2025-02-28")
    # +1 then +2 months would give 28 April.
    assert months_after(d("2025-01-31"), 3, FR) == d("2025-04-30")


def test_gb_england_christmas_and_boxing_day() -> None:
    assert months_after(d("2024-11-25"), 1, GB_ENG) == d("2024-12-27")


def test_fr_victory_day() -> None:
    assert months_after(d("2025-04-08"), 1, FR) == d("2025-05-09")


def test_three_working_days_fr_over_8_may() -> None:
    assert working_days_after(d("2025-05-07"), 3, FR) == d("2025-05-13")


def test_three_working_days_fr_from_saturday() -> None:
    assert working_days_after(d("2025-05-10"), 3, FR) == d("2025-05-14")


def test_three_working_days_madrid_over_easter() -> None:
    assert working_days_after(d("2025-04-16"), 3, ES_MD) == d("2025-04-23")


def test_madrid_easter_is_not_a_french_holiday() -> None:
    # France keeps 17-18 April 2025 as working days but has Easter Monday (21 April) off.
    assert working_days_after(d("2025-04-16"), 3, FR) == d("2025-04-22")
    assert working_days_after(d("2025-04-16"), 1, FR) == d("2025-04-17")
    assert working_days_after(d("2025-04-16"), 1, ES_MD) == d("2025-04-21")


# --- time zone -----------------------------------------------------------------------

def test_receipt_is_dated_in_the_controller_time_zone() -> None:
    received = datetime(2025, 1, 31, 23, 30, tzinfo=timezone.utc)  # 00:30 on 1 Feb in Paris
    now = datetime(2025, 2, 1, 12, tzinfo=timezone.utc)
    clock = statutory_clock(FR, received, now=now)
    assert clock.started_on == d("2025-02-01")
    # 1 March 2025 is a Saturday.
    assert clock.due == d("2025-03-03")
    utc_calendar = Calendar("FR", None, "UTC")
    assert statutory_clock(utc_calendar, received, now=now).due == d("2025-02-28")


def test_naive_datetimes_are_utc() -> None:
    assert FR.local_date(datetime(2025, 1, 31, 23, 30)) == d("2025-02-01")
    assert FR.local_datetime(datetime(2025, 7, 1, 12)).utcoffset().total_seconds() == 7200


def test_working_day_functions_refuse_datetimes() -> None:
    with pytest.raises(TypeError):
        FR.is_working_day(datetime(2025, 1, 31, 23, 30, tzinfo=timezone.utc))


# --- pauses and extension ------------------------------------------------------------

def test_month_runs_from_the_day_identity_information_arrives() -> None:
    received = paris(2025, 1, 10, 9)
    pauses = [(paris(2025, 1, 12, 9), paris(2025, 1, 20, 15))]
    clock = statutory_clock(FR, received, pauses=pauses, now=paris(2025, 1, 21))
    assert clock.started_on == d("2025-01-20")
    assert clock.due == d("2025-02-20")  # a Thursday, no roll needed
    assert clock.state is ClockState.RUNNING
    assert clock.days_left == 30
    assert statutory_clock(FR, received, now=paris(2025, 1, 21)).due == d("2025-02-10")
    naive_utc = [(datetime(2025, 1, 12, 8), datetime(2025, 1, 20, 14))]  # as SQLite returns them
    assert statutory_clock(FR, received, pauses=naive_utc, now=paris(2025, 1, 21)).due == d("2025-02-20")


def test_last_closed_pause_counts() -> None:
    received = paris(2025, 1, 10, 9)
    pauses = [
        (paris(2025, 1, 25, 9), paris(2025, 2, 3, 9)),  # given out of order on purpose
        (paris(2025, 1, 12, 9), paris(2025, 1, 20, 15)),
    ]
    clock = statutory_clock(FR, received, pauses=pauses, now=paris(2025, 2, 4))
    assert clock.started_on == d("2025-02-03")
    assert clock.due == d("2025-03-03")


def test_open_pause_stops_the_clock() -> None:
    received = paris(2025, 1, 10, 9)
    pauses = [(paris(2025, 1, 12, 9), None)]
    clock = statutory_clock(FR, received, pauses=pauses, now=paris(2025, 3, 1))
    assert clock.state is ClockState.PAUSED
    assert clock.due is None and clock.days_left is None
    assert clock.as_dict()["state"] == "paused"
    assert not extension_allowed(FR, received, pauses=pauses, now=paris(2025, 1, 13))


def test_pause_after_the_deadline_does_not_revive_it() -> None:
    received = paris(2025, 1, 10, 9)  # due 10 Feb
    pauses = [(paris(2025, 2, 15, 9), paris(2025, 2, 20, 9))]
    clock = statutory_clock(FR, received, pauses=pauses, now=paris(2025, 2, 21))
    assert clock.due == d("2025-02-10")
    assert clock.state is ClockState.MISSED


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError):
        statutory_clock(FR, paris(2025, 1, 10), pauses=[(paris(2025, 1, 12), paris(2025, 1, 11))],
                        now=paris(2025, 1, 13))


def test_extension_allowed_until_the_rolled_first_due_date() -> None:
    received = paris(2025, 3, 5, 10)  # first month ends Mon 7 April 2025
    assert extension_allowed(FR, received, now=paris(2025, 4, 5, 12))
    assert extension_allowed(FR, received, now=paris(2025, 4, 7, 23, 59))
    assert not extension_allowed(FR, received, now=paris(2025, 4, 8, 0, 1))


def test_extended_clock() -> None:
    received = paris(2025, 8, 31, 10)
    clock = statutory_clock(FR, received, extended=True, now=paris(2025, 10, 1))
    assert clock.extended and clock.due == d("2025-12-01")
    assert clock.as_dict() == {
        "name": "statutory", "started_on": "2025-08-31", "due": "2025-12-01",
        "state": "running", "days_left": 61, "extended": True,
    }


# --- states --------------------------------------------------------------------------

def test_states_and_days_left() -> None:
    received = paris(2025, 3, 5, 10)  # due Mon 7 April 2025
    running = statutory_clock(FR, received, now=paris(2025, 4, 1, 9))
    assert (running.state, running.days_left) == (ClockState.RUNNING, 6)
    due_today = statutory_clock(FR, received, now=paris(2025, 4, 7, 23, 59))
    assert (due_today.state, due_today.days_left) == (ClockState.RUNNING, 0)
    overdue = statutory_clock(FR, received, now=paris(2025, 4, 9, 0, 1))
    assert (overdue.state, overdue.days_left) == (ClockState.MISSED, -2)
    met = statutory_clock(FR, received, completed_at=paris(2025, 4, 7, 22), now=paris(2025, 5, 1))
    assert (met.state, met.days_left) == (ClockState.MET, None)
    late = statutory_clock(FR, received, completed_at=paris(2025, 4, 8, 9), now=paris(2025, 5, 1))
    assert (late.state, late.days_left) == (ClockState.MISSED, None)


def test_completion_is_judged_by_local_date() -> None:
    received = paris(2025, 3, 5, 10)  # due 7 April; 22:30 UTC on 7 April is 00:30 on 8 April in Paris
    completed = datetime(2025, 4, 7, 22, 30, tzinfo=timezone.utc)
    assert statutory_clock(FR, received, completed_at=completed, now=completed).state is ClockState.MISSED


def test_processor_sla_and_forwarding_clocks() -> None:
    assert processor_sla_clock(FR, None, now=paris(2025, 5, 7)) is None
    sla = processor_sla_clock(FR, paris(2025, 5, 7, 10), now=paris(2025, 5, 12, 9))
    assert (sla.due, sla.state, sla.days_left) == (d("2025-05-13"), ClockState.RUNNING, 1)
    done = processor_sla_clock(
        FR, paris(2025, 5, 7, 10), completed_at=paris(2025, 5, 14, 9), now=paris(2025, 5, 14)
    )
    assert done.state is ClockState.MISSED
    fwd = forwarding_clock(FR, paris(2025, 5, 7, 10), now=paris(2025, 5, 12, 9))
    assert (fwd.due, fwd.state, fwd.days_left) == (d("2025-05-09"), ClockState.MISSED, -3)


# --- cut-off -------------------------------------------------------------------------

def test_cutoff_moves_late_instructions_to_the_next_day() -> None:
    cutoff = time(17, 0)
    late = paris(2025, 5, 6, 17, 30)  # Tuesday
    assert instruction_start_date(late, FR, None) == d("2025-05-06")
    assert instruction_start_date(late, FR, cutoff) == d("2025-05-07")
    assert instruction_start_date(paris(2025, 5, 6, 17, 0), FR, cutoff) == d("2025-05-07")
    assert instruction_start_date(paris(2025, 5, 6, 16, 59), FR, cutoff) == d("2025-05-06")
    # Without the cut-off: Wed 7, Fri 9, Mon 12; with it: Fri 9, Mon 12, Tue 13 (8 May holiday).
    assert processor_sla_clock(FR, late, now=late).due == d("2025-05-12")
    assert processor_sla_clock(FR, late, cutoff=cutoff, now=late).due == d("2025-05-13")


def test_cutoff_on_a_friday_evening_counts_from_monday() -> None:
    friday_evening = paris(2025, 5, 16, 18, 0)
    assert instruction_start_date(friday_evening, FR, time(17, 0)) == d("2025-05-19")
    # Deemed received Monday 19 May: Tue 20, Wed 21, Thu 22.
    assert processor_sla_clock(FR, friday_evening, cutoff=time(17, 0), now=friday_evening).due == d("2025-05-22")
    assert processor_sla_clock(FR, friday_evening, now=friday_evening).due == d("2025-05-21")


def test_cutoff_uses_local_time() -> None:
    # 15:30 UTC is 17:30 in Paris in May (CEST).
    instructed = datetime(2025, 5, 6, 15, 30, tzinfo=timezone.utc)
    assert instruction_start_date(instructed, FR, time(17, 0)) == d("2025-05-07")


# --- holidays of the place -----------------------------------------------------------

def test_bavarian_epiphany_is_not_a_federal_holiday() -> None:
    assert not DE_BY.is_working_day(d("2025-01-06"))
    assert DE.is_working_day(d("2025-01-06"))
    assert DE_BY.holiday_name(d("2025-01-06")) == "Epiphany"
    assert months_after(d("2024-12-06"), 1, DE_BY) == d("2025-01-07")
    assert months_after(d("2024-12-06"), 1, DE) == d("2025-01-06")


def test_bavarian_assumption_day_is_not_in_the_default_calendar() -> None:
    # Assumption Day (15 Aug) is a holiday only in Bavaria's Catholic-majority communes;
    # holidays files it under the "catholic" category, which Calendar does not load.
    # If this starts failing, holidays changed how Bavarian deadlines are computed.
    assert DE_BY.is_working_day(d("2025-08-15"))
    assert not FR.is_working_day(d("2025-08-15"))


def test_roll_forward_and_add_working_days() -> None:
    assert FR.roll_forward(d("2025-05-08")) == d("2025-05-09")
    assert FR.roll_forward(d("2025-05-09")) == d("2025-05-09")
    assert FR.add_working_days(d("2025-05-09"), 1) == d("2025-05-12")
    with pytest.raises(ValueError):
        FR.add_working_days(d("2025-05-09"), -1)


def test_deadlines_lists_the_holidays_that_moved_a_date() -> None:
    result = deadlines(GB_ENG, datetime(2024, 11, 25, 10, tzinfo=GB_ENG.zone))
    assert result["statutory_due"] == "2024-12-27"
    assert result["extended_due"] == "2025-02-25"
    assert result["processor_sla_due"] == "2024-11-28"
    assert result["forwarding_due"] == "2024-11-26"
    assert result["holidays_skipped"] == [
        {"date": "2024-12-25", "name": "Christmas Day"},
        {"date": "2024-12-26", "name": "Boxing Day"},
    ]
    assert result["received"] == "2024-11-25T10:00:00+00:00"
    assert (result["country"], result["subdivision"], result["timezone"]) == ("GB", "ENG", "Europe/London")


def test_substitute_days_count_and_weekend_holidays_are_not_listed() -> None:
    # Christmas 2021 fell on a Saturday: England took Mon 27 and Tue 28 December off
    # instead (holidays' observed=True default). 25-26 December moved nothing themselves.
    result = deadlines(GB_ENG, datetime(2021, 11, 25, 10, tzinfo=GB_ENG.zone))
    assert result["statutory_due"] == "2021-12-29"
    assert result["holidays_skipped"] == [
        {"date": "2021-12-27", "name": "Christmas Day (observed)"},
        {"date": "2021-12-28", "name": "Boxing Day (observed)"},
    ]


def test_deadlines_lists_holidays_inside_working_day_periods() -> None:
    result = deadlines(FR, paris(2025, 5, 7, 10))
    assert result["processor_sla_due"] == "2025-05-13"
    assert result["forwarding_due"] == "2025-05-09"
    # 7 June 2025 is a Saturday and Monday 9 June is Pentecost Monday.
    assert result["statutory_due"] == "2025-06-10"
    assert result["holidays_skipped"] == [
        {"date": "2025-05-08", "name": "Victory Day"},
        {"date": "2025-06-09", "name": "Pentecost Monday"},
    ]


# --- validation ----------------------------------------------------------------------

def test_validate_calendar() -> None:
    assert validate_calendar("FR", None, "Europe/Paris") == []
    assert validate_calendar("ES", "MD", "Europe/Madrid") == []
    (country,) = validate_calendar("XX", None, "Europe/Paris")
    assert "unknown country 'XX'" in country
    (subdivision,) = validate_calendar("GB", "England", "Europe/London")
    assert "unknown subdivision 'England' for GB" in subdivision
    assert "ENG, NIR, SCT, WLS" in subdivision and "did you mean 'ENG'" in subdivision
    (zone,) = validate_calendar("FR", None, "Europe/Pariss")
    assert "unknown time zone 'Europe/Pariss'" in zone
    assert len(validate_calendar("XX", None, "Nowhere")) == 2
    assert "no subdivisions" in validate_calendar("IE", "D", "Europe/Dublin")[0]


def test_calendar_rejects_bad_values_with_the_same_messages() -> None:
    with pytest.raises(ValueError) as error:
        Calendar("ES", "XX", "Europe/Madrid")
    assert str(error.value) == validate_calendar("ES", "XX", "Europe/Madrid")[0]
