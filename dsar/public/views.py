"""The public pages under /privacy: thin views over filing, verification and status.

/privacy                      the general form (the subject may pick the organisation)
/privacy/<slug>               one controller's form (a form slug or the controller's id)
/privacy/requests/sent        what was filed, after the form (POST-redirect-GET)
/privacy/confirm/<token>      the emailed link: a page with one button, which POSTs
/privacy/status/<token>       where a request stands
One error page serves 400, 404, 410, 413, 429 and 500, in the page's language.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta, gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound

from dsar.public import filing, status, verification
from dsar.public.forms import RequestForm
from dsar.public.i18n import LANGUAGES, page_language, prefer_language, remember_choice
from dsar.public.security import FILED, form_rate_limits, limiter, token_page_headers
from dsar.public.wording import RIGHTS, right_article

logger = logging.getLogger(__name__)
bp = Blueprint("public", __name__, url_prefix="/privacy")


@bp.before_request
def before():
    remember_choice()


bp.after_request(token_page_headers)


@bp.context_processor
def page_context() -> dict:
    def switch_language(code: str) -> str:
        return url_for(request.endpoint or "public.general_form", **(request.view_args or {}), lang=code)

    return {"languages": LANGUAGES, "current_language": page_language(), "switch_language": switch_language,
            "RIGHTS": RIGHTS, "right_article": right_article}


def error_page(code: int, title: str, message: str):
    return render_template("public/error.html", code=code, title=title, message=message), code


# --- the form --------------------------------------------------------------------------

def _form_page(controller, slug: str | None):
    form = RequestForm()
    everyone = filing.controllers() if controller is None else None
    if everyone is None:
        del form.organisation
    else:
        form.organisation.choices = [("", _("I don't know"))] + [
            (c.id, _("%(name)s (the operator of this site)", name=c.name) if c.is_operator else c.name)
            for c in sorted(everyone, key=lambda c: (not c.is_operator, c.name.lower()))]
    if request.method == "POST":
        if form.is_robot():
            logger.warning("honeypot field filled on %s from %s: nothing filed", request.path, request.remote_addr)
            return error_page(400, _("Your request could not be sent"), _(
                "The form was filled in a way that looks automated, so nothing was sent. If you are a person, "
                "go back, leave the field marked \u201cLeave this field empty\u201d empty, and send the form again."))
        if form.validate():
            chosen = controller or next((c for c in everyone if c.id == form.organisation.data), None)
            created = filing.file_request(form, page_language(), controller=chosen, slug=slug)
            session["filed"] = {"references": [r.reference for r in created], "email": form.email.data}
            return redirect(url_for(".sent"), FILED)
    return render_template("public/form.html", form=form, controller=controller,
                           operator=next((c for c in everyone or [] if c.is_operator), None)), \
        (422 if form.errors else 200)


@bp.route("", methods=["GET", "POST"])
@form_rate_limits
def general_form():
    return _form_page(None, None)


@bp.route("/<slug>", methods=["GET", "POST"])
@form_rate_limits
def controller_form(slug: str):
    controller = filing.controller_for_page(slug)
    if controller is None:
        raise NotFound()
    return _form_page(controller, slug)


@bp.get("/requests/sent")
def sent():
    filed = session.get("filed")
    if not filed:
        return redirect(url_for(".general_form"))
    return render_template("public/sent.html", references=filed["references"], email=filed["email"],
                           max_age_days=verification.max_age_days())


# --- confirming the email address -------------------------------------------------------

def _link_problem(exc: verification.LinkInvalid):
    if isinstance(exc, verification.LinkExpired):
        return error_page(410, _("This link has expired"), _(
            "Confirmation links are valid for %(days)d days. This one is older, so the request was not "
            "confirmed and nothing was done with it. Please send your request again with the form.",
            days=verification.max_age_days()))
    return _not_found()


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    try:
        family = verification.requests_for(token)
    except verification.LinkInvalid as exc:
        return _link_problem(exc)
    prefer_language(family[0].language)
    pending = any(verification.awaiting_confirmation(r) for r in family)
    return render_template("public/confirm.html", token=token, pending=pending,
                           views=[status.describe(r) for r in family])


@bp.post("/confirm/<token>")
def confirm(token: str):
    try:
        verification.confirm(token)
    except verification.LinkInvalid as exc:
        return _link_problem(exc)
    return redirect(url_for(".confirm_page", token=token), 303)


# --- status -----------------------------------------------------------------------------

@bp.get("/status/<token>")
def status_page(token: str):
    found = status.find(token)
    if found is None:
        raise NotFound()
    prefer_language(found.language)
    return render_template("public/status.html", view=status.describe(found))


@bp.route("/<path:anything>", methods=["GET", "POST"])
def elsewhere(anything: str):
    """Any other address under /privacy: the public 404 page, in the page's language."""
    raise NotFound()


# --- errors -----------------------------------------------------------------------------

def _not_found():
    return error_page(404, _("Page not found"), _(
        "We could not find this page. If you followed a link from an email, check that you copied all of it."))


@bp.errorhandler(404)
def not_found(exc: HTTPException):
    return _not_found()


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    return error_page(400, _("This form has expired"), _(
        "For your security, a form can only be sent from the page that showed it, and for a limited time. "
        "Go back, reload the page and send the form again."))


@bp.errorhandler(400)
def bad_request(exc: HTTPException):
    return error_page(400, _("Your request could not be understood"), _(
        "Something in what was sent could not be read. Go back, reload the page and try again."))


@bp.errorhandler(413)
def too_large(exc: HTTPException):
    return error_page(413, _("What you sent is too large"), _(
        "The form can carry at most 1 MB. Please shorten your text and send the form again."))


@bp.errorhandler(429)
def too_many(exc: HTTPException):
    limit = limiter.current_limit
    wait = timedelta(seconds=max(1, int(limit.reset_at - time.time()))) if limit else timedelta(hours=1)
    return error_page(429, _("Too many requests"), _(
        "This form has been sent too many times from your connection or for this email address. "
        "Please try again %(when)s.", when=format_timedelta(wait, add_direction=True)))


@bp.errorhandler(Exception)
def unexpected(exc: Exception):
    """A bug: logged in full, and the subject told plainly, in their language, to try again."""
    if isinstance(exc, HTTPException):  # one without a page of its own (405…): as it is
        return exc
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_page(500, _("Something went wrong"), _(
        "Something went wrong on our side, and it has been recorded. Your request may not have been sent: "
        "please try again in a few minutes."))
