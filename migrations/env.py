"""Alembic environment for Flask-Migrate: the portal's models are the target schema."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    # Configure logging from alembic.ini only when nobody else did (the test suite has its own).
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

migrate_extension = current_app.extensions["migrate"]
target_db = migrate_extension.db


def get_engine():
    return target_db.engine


def get_engine_url() -> str:
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())


def get_metadata():
    return target_db.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """SQLite's full-text table for search (and FTS5's own tables for it) are made by a migration
    by hand and described by no model: autogenerate must not drop them."""
    from portal.search.models import not_a_model_table

    return not (type_ == "table" and not_a_model_table(name))


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=get_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # `flask db migrate` with no model change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(migrate_extension.configure_args)
    conf_args.setdefault("include_object", include_object)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
