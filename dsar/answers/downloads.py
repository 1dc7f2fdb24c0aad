"""The subject's download page for an access or portability package.

GET  /privacy/package/<token>   asks the subject to confirm their email address again
POST /privacy/package/<token>   with that address: the decrypted ZIP, as an attachment

The link alone is not enough (an email is forwarded, a mailbox shared): the address must
be one the request names. Every failure (unknown, tampered, expired or deleted link,
wrong address) gets the same page, status and words, so the page tells nobody whether a
link ever existed or whose it was; the GET shows the form whatever the token. POSTs are
rate-limited per IP and per link. Each download is counted and audited (without the
address typed).
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template
from flask import request as http_request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from dsar import audit
from dsar.answers import package
from dsar.extensions import db
from dsar.identities import normalize
from dsar.permissions import Principal
from dsar.public import views as public_views
from dsar.public.i18n import remember_choice
from dsar.public.security import limiter, token_page_headers
from dsar.requests.references import hash_token
from dsar.timeutil import now as current_time

bp = Blueprint("packages", __name__, url_prefix="/privacy/package")
bp.before_request(remember_choice)
bp.after_request(token_page_headers)
bp.context_processor(public_views.page_context)  # the public pages' layout: language switch…
bp.register_error_handler(CSRFError, public_views.csrf_failed)
bp.register_error_handler(429, public_views.too_many)
bp.register_error_handler(Exception, public_views.unexpected)

# Every failed POST answers this status, whatever failed.
NO_MATCH = 404


class ConfirmEmailForm(FlaskForm):
    email = StringField(_l("Email address"), validators=[DataRequired(_l("Enter your email address.")),
                                                         Length(max=254)])


def _token_key() -> str:
    return "package:" + hash_token((http_request.view_args or {}).get("token", ""))


def _page(token: str, form: ConfirmEmailForm, *, failed: bool = False):
    return render_template("public/package.html", form=form, token=token, failed=failed), \
        NO_MATCH if failed else 200


@bp.get("/<token>")
def page(token: str):
    return _page(token, ConfirmEmailForm())


@bp.post("/<token>")
@limiter.limit(lambda: current_app.config["PACKAGE_RATE_LIMIT_PER_IP"], scope="package-ip")
@limiter.limit(lambda: current_app.config["PACKAGE_RATE_LIMIT_PER_LINK"], scope="package-link", key_func=_token_key)
def download(token: str):
    form = ConfirmEmailForm()
    if not form.validate():
        return _page(token, form)
    now = current_time()
    found = package.find(token, now)
    typed = normalize("email", form.email.data.strip())
    if found is None or not any(i.kind == "email" and normalize("email", i.value) == typed
                                for i in found.request.identities):
        return _page(token, ConfirmEmailForm(formdata=None), failed=True)
    content = package.open_package(found)
    request = package.lock_request(found.request_id)
    found.downloads += 1
    found.last_download_at = now
    audit.record(request, actor=Principal.subject(request.reference).actor, kind="package_downloaded", at=now,
                 data={"package": found.id, "kind": found.kind, "downloads": found.downloads})
    name = f"{request.reference}-{found.kind}.zip"
    db.session.commit()
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    if "packages" not in app.blueprints:
        app.register_blueprint(bp)
