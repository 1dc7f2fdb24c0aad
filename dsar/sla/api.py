"""`GET /api/v1/dashboard` (JSON) and `GET /api/v1/dashboard.csv`: the SLA figures for
the token's scope; `?from=YYYY-MM-DD&to=YYYY-MM-DD` chooses the period (default: the
last 12 months)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request

from dsar.api.auth import authenticate
from dsar.api.errors import ApiError
from dsar.sla import figures
from dsar.sla.export import period_csv
from dsar.timeutil import now

bp = Blueprint("sla_api", __name__, url_prefix="/api/v1")
MAX_DAYS = 3660  # ten years: a period is a reporting span, not a scan of all history


class BadPeriod(ValueError):
    """`from`/`to` are not ISO dates, or not in order."""


def parse_period(args, today: date) -> figures.Period:
    """The period of `?from=&to=` (either may be left out), or raise BadPeriod."""
    default = figures.Period.last_12_months(today)
    try:
        start = date.fromisoformat(args["from"]) if args.get("from") else None
        end = date.fromisoformat(args["to"]) if args.get("to") else default.end
    except ValueError as exc:
        raise BadPeriod("from and to must be dates as YYYY-MM-DD") from exc
    if start is None:
        start = figures.Period.last_12_months(end).start
    if start > end:
        raise BadPeriod("from must not be after to")
    if (end - start).days > MAX_DAYS:
        raise BadPeriod(f"a period spans at most {MAX_DAYS} days")
    return figures.Period(start, end)


def _period(today: date) -> figures.Period:
    try:
        return parse_period(request.args, today)
    except BadPeriod as exc:
        raise ApiError(422, "invalid", str(exc), fields={"from": [str(exc)]}) from exc


@bp.get("/dashboard")
def dashboard():
    principal = authenticate()
    today = now().date()
    return jsonify(figures.dashboard(principal, today, _period(today)))


@bp.get("/dashboard.csv")
def dashboard_csv():
    principal = authenticate()
    today = now().date()
    period = _period(today)
    return csv_response(figures.period_figures(principal, period), period)


def csv_response(period_figures: dict, period: figures.Period) -> Response:
    """The period's figures as a downloadable CSV file."""
    name = f"dsar-sla-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(period_csv(period_figures), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def document(spec, responses) -> None:
    """Add the dashboard to the OpenAPI document (dsar.api.openapi.extend)."""
    period = [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
               "description": "first day (UTC) of the period; default: 12 months before `to`"},
              {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
               "description": "last day (UTC) of the period; default: today"}]
    secured = {"security": [{"bearer": []}], "parameters": period}
    spec.path("/dashboard", operations={"get": secured | {
        "summary": "SLA figures: open requests, due and overdue (statutory clock), due dates per day, "
                   "and the period's figures per controller and per right",
        "description": "Scoped to the token: a controller's token sees its own requests only.",
        "responses": {"200": {"description": "the figures", "content": {"application/json": {
            "schema": {"type": "object"}}}},
            **{k: v for k, v in responses("200", "Error", "", "401", "422").items() if k != "200"}}}})
    spec.path("/dashboard.csv", operations={"get": secured | {
        "summary": "The period's figures as CSV (one row per controller, per right, and a total)",
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                      **{k: v for k, v in responses("200", "Error", "", "401", "422").items() if k != "200"}}}})
