"""The form a manual system's owner reports a task's outcome on (/tasks/manual/<token>).

The owner has no account: the emailed link is the credential (`dsar.connectors.manual`
signs it). GET shows the task and the form; POST (CSRF-checked, like every form of the
app) records the outcome through `runner.report`, which settles the request:

- done           → the action's own outcome word (export → exported, erase → erased…);
                   for an export, what the owner pastes becomes the exported record;
- nothing found  → not_found;
- refused        → the task fails (not_supported, the owner's required reason as its
                   error and note): the request is then partially fulfilled, so the
                   controller sees who refused and why, and staff decide (run it again,
                   or finish by hand).

An expired link, a link replaced by a newer one (the task was run again) or a task
already reported answer 410 with a page that says which; a link that is not ours, 404.
Never a 500 for a bad link.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, SignatureExpired
from werkzeug.exceptions import HTTPException
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from dsar.api.schemas import UNTYPEABLE
from dsar.connectors.base import EXPORTED, NOT_FOUND, NOT_SUPPORTED, ActionResult
from dsar.connectors.manual import DONE_OUTCOME, due_date, read_token, run_of, searchable_identities, what_to_do
from dsar.extensions import db
from dsar.fulfilment.runner import TaskNotWaiting, report
from dsar.models import Task
from dsar.models.task import WAITING
from dsar.public.security import token_page_headers
from dsar.timeutil import now as current_time

bp = Blueprint("manual_tasks", __name__, url_prefix="/tasks/manual")

MAX_TEXT = 2000  # a result's note holds at most this much (dsar.fulfilment.results)
MAX_EXPORT = 200_000  # what an owner may paste as an export

DONE, NOTHING_FOUND, REFUSED = "done", "nothing_found", "refused"
# The "done" choice, in the words of each action.
DONE_LABEL = {"access": "Done: I found records and describe them below",
              "export": "Done: I paste the records below",
              "erase": "Done: the data is erased", "rectify": "Done: the data is corrected",
              "restrict": "Done: the data is restricted", "suppress": "Done: the person is opted out of marketing"}


def _typeable(form, field) -> None:
    if field.data and UNTYPEABLE.search(field.data):
        raise ValidationError("Remove the invisible control characters from this field.")


class ReportForm(FlaskForm):
    outcome = RadioField("Outcome", validators=[DataRequired("Choose what happened.")], choices=[
        SelectChoice(DONE, "Done"),
        SelectChoice(NOTHING_FOUND, "Nothing found: this system holds no data on this person"),
        SelectChoice(REFUSED, "Refused: I cannot or must not do it (say why below)")])
    text = TextAreaField("What you did or found, or why you refused",
                         validators=[Length(max=MAX_EXPORT), _typeable])

    def validate_text(self, field) -> None:
        text = (field.data or "").strip()
        field.data = text
        if self.outcome.data == REFUSED and not text:
            raise ValidationError("Say why you refuse: the controller must be told the reason.")
        if self.outcome.data == DONE and self.action == "export" and not text:
            raise ValidationError("Paste the records you found: they are what the person receives.")
        limit = MAX_EXPORT if (self.outcome.data == DONE and self.action == "export") else MAX_TEXT
        if len(text) > limit:
            raise ValidationError(f"Keep this under {limit} characters.")

    # The task's action, set by the view: for an export the text is the data itself, so required.
    action = ""


bp.after_request(token_page_headers)


def _page(code: int, title: str, message: str):
    return render_template("tasks/message.html", title=title, message=message), code


class _Gone(Exception):
    def __init__(self, code: int, title: str, message: str):
        super().__init__(message)
        self.page = (code, title, message)


@bp.errorhandler(_Gone)
def gone(exc: _Gone):
    return _page(*exc.page)


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    return _page(400, "This form has expired", "For your security a form can only be sent from the page that "
                 "showed it, for a limited time. Open the link from the email again and send the form again.")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if exc.code == 404:
        return _page(*_not_found_page())
    return _page(exc.code or 400, exc.name, exc.description or exc.name)


def _task_of(token: str) -> Task:
    """The waiting manual task a link is for, or _Gone saying why there is none."""
    try:
        task_id, run = read_token(token)
    except SignatureExpired:
        raise _Gone(410, "This link has expired", "Task links work for 30 days. Ask the data protection team "
                    "for a new one, or wait for the reminder email, which brings a fresh link.") from None
    except BadSignature:
        raise _Gone(*_not_found_page()) from None
    task = db.session.get(Task, task_id)
    if task is None or task.system.connector_type != "manual":
        raise _Gone(*_not_found_page())
    if run_of(task) != run:
        raise _Gone(410, "This link was replaced", "The task was sent again with a new link: use the link in "
                    "the latest email about it.")
    if task.status != WAITING:
        raise _Gone(410, "Already reported", _already(task))
    return task


def _not_found_page() -> tuple[int, str, str]:
    return (404, "Link not recognised", "This is not a link to a task. If you copied it from an email, check "
            "that you copied all of it.")


def _already(task: Task) -> str:
    when = task.finished_at.strftime("%Y-%m-%d %H:%M UTC") if task.finished_at else "earlier"
    if task.status in ("done", "failed"):
        return (f"The outcome of this task was already reported ({(task.outcome or task.status).replace('_', ' ')}, "
                f"{when}). Nothing more is needed; if it was wrong, tell the data protection team.")
    return "This task is not waiting for a report any more. Nothing more is needed."


def _result(task: Task, form: ReportForm, owner: str) -> ActionResult:
    text = form.text.data
    if form.outcome.data == REFUSED:
        return ActionResult(outcome=NOT_SUPPORTED, notes=[f"refused by {owner}: {text}"[:MAX_TEXT]])
    if form.outcome.data == NOTHING_FOUND:
        return ActionResult(outcome=NOT_FOUND, notes=[(f"{owner} found nothing" + (f": {text}" if text else ""))[:MAX_TEXT]])
    outcome = DONE_OUTCOME[task.action]
    if task.action == "export":
        # The pasted text is the export: it goes to the export file, never to the notes
        # (which the audit trail keeps).
        result = ActionResult(notes=[f"exported by hand by {owner}"])
        result.add("owner's report", task.id, EXPORTED, "pasted into the task form", data={"text": text})
        return result
    return ActionResult(outcome=outcome, notes=[f"{owner}: {text}"[:MAX_TEXT]] if text else [f"done by {owner}"])


@bp.route("/<token>", methods=["GET", "POST"], endpoint="report")
def report_page(token: str):
    task = _task_of(token)
    request_row, system = task.request, task.system
    form = ReportForm()
    form.action = task.action
    form.outcome.choices = [SelectChoice(DONE, DONE_LABEL[task.action]), *form.outcome.choices[1:]]
    if request.method == "POST" and form.validate_on_submit():
        owner = system.owner_email or "the system owner"
        try:
            result = _result(task, form, owner)
            refusal = result.notes[0] if form.outcome.data == REFUSED else None
            done = report(task.id, result, actor=f"owner:{system.id}:{owner}"[:120], failed=refusal)
        except TaskNotWaiting:
            db.session.rollback()
            raise _Gone(410, "Already reported", _already(db.session.get(Task, task.id))) from None
        return render_template("tasks/reported.html", task=done, system=system,
                               outcome=(done.outcome or "").replace("_", " "))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "tasks/form.html", form=form, token=token, task=task, system=system, request_row=request_row,
        what=what_to_do(task.action, system.name), identities=searchable_identities(request_row, system),
        corrections=(request_row.corrections or {}) if task.action == "rectify" else {},
        instructions=((system.connector_settings or {}).get("instructions") or "").strip(),
        due=due_date(request_row, current_time()), done_word=DONE_OUTCOME[task.action].replace("_", " ")), status

