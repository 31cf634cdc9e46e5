"""Alembic environment: always run by `genesis_desktop.portfolio.store` on a live connection."""
from alembic import context

from genesis_desktop.compute.tables import metadata as compute_metadata
from genesis_desktop.portfolio.audit_log import metadata as audit_metadata
from genesis_desktop.portfolio.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    # The compute engine's job tables and the audit log (each on a metadata of its own) share the
    # portfolio's database; its migrations create them too.
    target_metadata=[metadata, compute_metadata, audit_metadata],
    # SQLite alters tables by copy-and-move; batch mode makes the same migration work on both.
    render_as_batch=True,
    compare_type=True,
    include_object=context.config.attributes.get("include_object"),
)
with context.begin_transaction():
    context.run_migrations()
