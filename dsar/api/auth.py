"""Bearer-token authentication for the API, and `dsar tokens` to mint tokens."""
from __future__ import annotations

import secrets

import click
from flask import g, request
from flask.cli import AppGroup
from sqlalchemy import select

from dsar.api.errors import ApiError
from dsar.extensions import db
from dsar.models import ApiToken, Controller, Role
from dsar.permissions import Principal
from dsar.requests.references import hash_token
from dsar.timeutil import now

TOKEN_PREFIX = "dsar_"


def authenticate() -> Principal:
    """Return the caller for the current request, or raise a 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="dsar"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'", headers=challenge)
    row = db.session.execute(
        select(ApiToken.id, ApiToken.role, ApiToken.controller_id, ApiToken.label)
        .where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        raise ApiError(401, "unauthorized", "this API token is unknown or revoked", headers=challenge)
    principal = Principal(Role(row.role), row.controller_id, row.label or f"token-{row.id}")
    g.principal = principal
    return principal


def create_token(role: Role, controller_id: str | None, label: str = "") -> str:
    """Mint a token, store its hash, return the token (shown once)."""
    if not role.holds_tokens:
        raise ValueError(f"{role.value} is not a role an API token can have")
    if role.is_operator and controller_id:
        raise ValueError(f"{role.value} is an operator role: it takes no --controller")
    if role in (Role.CONTROLLER_ADMIN, Role.CONTROLLER_AGENT) and not controller_id:
        raise ValueError(f"{role.value} needs --controller")
    if controller_id and db.session.get(Controller, controller_id) is None:
        raise ValueError(f"unknown controller {controller_id!r}; run 'dsar register sync' first?")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(token_hash=hash_token(token), role=role.value, controller_id=controller_id,
                            label=label, created_at=now()))
    db.session.commit()
    return token


tokens_cli = AppGroup("tokens", help="Create and revoke API tokens.")


@tokens_cli.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role if r.holds_tokens]))
@click.option("--controller", "controller_id", default=None, help="Controller id (tenant) the token acts for.")
@click.option("--label", default="", help="Who or what uses the token (shown as the actor in the audit trail).")
def create_command(role: str, controller_id: str | None, label: str) -> None:
    """Print a new API token; only its hash is stored."""
    try:
        click.echo(create_token(Role(role), controller_id, label))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@tokens_cli.command("revoke")
@click.argument("token")
def revoke_command(token: str) -> None:
    """Revoke a token (by its value)."""
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one_or_none()
    if row is None:
        raise click.UsageError("no such token")
    row.revoked_at = now()
    db.session.commit()
    click.echo("revoked")
