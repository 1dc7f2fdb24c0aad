"""Flask extensions, created unbound here and bound to the app in `create_app`."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass  # noqa: F401  (re-exported for models)


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


# Objects keep their state after commit: the service commits, then the view serialises
# what it just wrote, without re-reading every row in a second transaction.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
