"""Alembic environment: the app passes its open connection in `config.attributes["connection"]`."""

from alembic import context

from desktop_app.core.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
