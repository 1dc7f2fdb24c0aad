"""The staff dashboard: `/staff/dashboard` (the figures, with an SVG chart of due dates)
and `/staff/dashboard.csv` (the period's figures). Login required and the caller's scope
applied, as on every staff page (`dsar.accounts.web.protect`, `current_principal`)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from dsar.accounts.web import current_principal, error_page, protect
from dsar.sla import figures
from dsar.sla.api import BadPeriod, csv_response, parse_period
from dsar.sla.chart import bar_chart
from dsar.timeutil import now

bp = Blueprint("sla", __name__, url_prefix="/staff")
protect(bp)


def _period():
    today = now().date()
    return today, parse_period(request.args, today)


@bp.get("/dashboard")
def dashboard():
    try:
        today, period = _period()
    except BadPeriod as exc:
        return error_page(400, "Not a period", f"{exc}. Go back and choose two dates.")
    data = figures.dashboard(current_principal(), today, period)
    return render_template("sla/dashboard.html", data=data, chart=bar_chart(data["due_per_day"]),
                           period=period)


@bp.get("/dashboard.csv")
def dashboard_csv():
    try:
        _today, period = _period()
    except BadPeriod as exc:
        return error_page(400, "Not a period", f"{exc}. Go back and choose two dates.")
    return csv_response(figures.period_figures(current_principal(), period), period)
