"""The `dsar` console command: Flask's CLI over the app factory, plus dsar's own commands."""
from flask.cli import FlaskGroup

from dsar import create_app


def main() -> None:
    FlaskGroup(create_app=create_app, help="dsar: route and answer GDPR data-subject requests.")(prog_name="dsar")
