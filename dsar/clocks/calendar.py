"""Working-day calendars: a country's public holidays, its weekend and its time zone.

Reg. 1182/71 Art. 2: public holidays are those of the Member State "in which action is to
be taken", and working days are all days other than public holidays, Saturdays and
Sundays. A `Calendar` says which days those are for one controller or processor.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

# Holiday names follow the process locale unless a language is given (LANG=fr_FR gives
# "Fête de la Victoire", LANG=C gives "Victory Day"); pin one so output is reproducible.
_LANGUAGE = "en_US"

# A cached holidays object adds a year on first lookup (`years.add` and then populate);
# two threads doing that at once could see a half-filled year and miss a holiday.
_LOCK = threading.Lock()

_MAX_LISTED = 20  # how many valid subdivision codes an error message lists


@lru_cache(maxsize=1)
def _supported() -> dict[str, list[str]]:
    """Country code -> subdivision codes known to the `holidays` package."""
    return holidays.list_supported_countries()


@lru_cache(maxsize=None)
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    """One shared holidays object per place; years are added lazily (expand=True)."""
    return holidays.country_holidays(country, subdiv=subdivision, language=_LANGUAGE)


def _subdivision_problem(country: str, subdivision: str) -> str:
    valid = _supported()[country]
    if not valid:
        return f"country {country} has no subdivisions in the holidays package; leave it empty"
    listed = ", ".join(valid[:_MAX_LISTED])
    if len(valid) > _MAX_LISTED:
        listed += f", … ({len(valid)} in all)"
    message = f"unknown subdivision {subdivision!r} for {country}; valid: {listed}"
    # Friendly hint for names ("England") or wrong case ("eng").
    aliases = getattr(getattr(holidays, country, None), "subdivisions_aliases", {}) or {}
    lookup = {code.casefold(): code for code in valid} | {
        name.casefold(): code for name, code in aliases.items()
    }
    if (code := lookup.get(subdivision.casefold())) is not None:
        message += f" (did you mean {code!r}?)"
    return message


def validate_calendar(country: str, subdivision: str | None, timezone: str) -> list[str]:
    """Return human-readable problems with these calendar settings, [] when they are fine."""
    problems: list[str] = []
    if not isinstance(country, str) or country not in _supported():
        problems.append(
            f"unknown country {country!r}: expected an upper-case ISO 3166-1 alpha-2 code "
            "supported by the holidays package, e.g. FR, DE, ES, GB, IE"
        )
    elif subdivision is not None and subdivision not in _supported()[country]:
        problems.append(_subdivision_problem(country, str(subdivision)))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(f"unknown time zone {timezone!r}: expected an IANA name such as Europe/Paris")
    return problems


def _plain_date(day: date) -> date:
    # A datetime here almost always means a UTC instant that skipped `local_date`.
    if isinstance(day, datetime):
        raise TypeError("expected a date; convert datetimes with Calendar.local_date() first")
    return day


@dataclass(frozen=True)
class Calendar:
    """Public holidays of `country` (+ `subdivision`) and the local time zone."""

    country: str  # ISO 3166-1 alpha-2, e.g. "FR"
    subdivision: str | None  # holidays subdivision code, e.g. "MD", "ENG", "BY"
    timezone: str  # IANA name, e.g. "Europe/Paris"

    def __post_init__(self) -> None:
        if problems := validate_calendar(self.country, self.subdivision, self.timezone):
            raise ValueError("; ".join(problems))

    @property
    def zone(self) -> ZoneInfo:
        """The time zone object (ZoneInfo caches instances itself)."""
        return ZoneInfo(self.timezone)

    def local_datetime(self, moment: datetime) -> datetime:
        """`moment` in this calendar's time zone; a naive datetime is taken as UTC."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def local_date(self, moment: datetime) -> date:
        """The local calendar date of `moment` (EDPB/ICO: receipt is dated where the controller is)."""
        return self.local_datetime(moment).date()

    def is_working_day(self, day: date) -> bool:
        """Not a weekend day and not a public holiday (Reg. 1182/71 Art. 2(2))."""
        day = _plain_date(day)
        with _LOCK:
            return _holidays(self.country, self.subdivision).is_working_day(day)

    def is_weekend(self, day: date) -> bool:
        """A weekend day of this country (Sat/Sun in the EU and UK)."""
        day = _plain_date(day)
        with _LOCK:
            return _holidays(self.country, self.subdivision).is_weekend(day)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name ("; "-joined when several), or None."""
        day = _plain_date(day)
        with _LOCK:
            return _holidays(self.country, self.subdivision).get(day)

    def roll_forward(self, day: date) -> date:
        """`day` if it is a working day, else the next one (Reg. 1182/71 Art. 3(4))."""
        return self.add_working_days(day, 0)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th whole working day after `day`, which itself never counts.

        n = 0 means `day` rolled forward to a working day.
        """
        day = _plain_date(day)
        if n < 0:
            raise ValueError(f"number of working days must be >= 0, got {n}")
        with _LOCK:
            # holidays counts forward from the day after `day`; n=0 rolls forward.
            return _holidays(self.country, self.subdivision).get_nth_working_day(day, n)
