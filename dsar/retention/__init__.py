"""Retention of our own records: `dsar purge` (issue 7, item 7).

DSAR records are personal data too. Once a request is finished (closed, cancelled or
merged as a duplicate) and the retention period (`RETENTION_DAYS`, three years by
default) has run from its closing, `dsar purge` removes everything that identifies the
subject and leaves a non-identifying skeleton: the request row's dates, controller,
rights, channel and status, and a one-event audit chain saying what was removed.

- `permit`: the purge permit, the one narrow exception to the append-only audit table.
- `purge`: which requests are due, what each holds, and the purge of one request.
- `cli`: the `dsar purge [--dry-run] [--older-than DAYS] [--now ISO]` command.

The purge is an explicit command run by cron (e.g. daily), not a background duty of the
sweepers: deleting records should be something an operator schedules and can read the
output of, with `--dry-run` to see first what would go.
"""
from flask import Flask

from dsar.retention import permit  # noqa: F401  (the model must be known to migrations' check)


def init_app(app: Flask) -> None:
    from dsar.retention.cli import purge_command

    app.cli.add_command(purge_command)
