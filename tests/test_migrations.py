"""The migrations build exactly the models' schema, and every revision downgrades cleanly,
on SQLite and (when DATABASE_URL points at it) on PostgreSQL."""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from portal.search.models import not_a_model_table
from tests.helpers.databases import new_postgres_database

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@contextmanager
def empty_database(tmp_path):
    """A brand-new empty database of the kind this run uses."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    with new_postgres_database(url, f"portal_migrations_{uuid.uuid4().hex[:8]}") as database_url:
        yield database_url


@pytest.fixture
def migration_app(tmp_path):
    with empty_database(tmp_path) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            yield app
            db.engine.dispose()


def in_models(obj, name, type_, reflected, compare_to):
    """SQLite's full-text table for search (and FTS5's own tables for it) are made by the
    migration and described by no model (portal/search/models.py): leave them out, as
    autogenerate does (migrations/env.py)."""
    return not (type_ == "table" and not_a_model_table(name))


def schema_differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": in_models})
        return compare_metadata(context, db.metadata)


def user_tables():
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    return sorted(name for name in tables if not not_a_model_table(name))


def test_upgrade_to_head_builds_exactly_the_models_schema(migration_app):
    upgrade(directory=MIGRATIONS)
    assert user_tables() == sorted(db.metadata.tables)
    assert schema_differences() == []


def test_every_revision_downgrades_to_an_empty_database(migration_app):
    upgrade(directory=MIGRATIONS)
    downgrade(directory=MIGRATIONS, revision="base")
    assert user_tables() == []
    upgrade(directory=MIGRATIONS)  # and the way back up works after a full downgrade
    assert schema_differences() == []


def test_revision_files_are_date_prefixed():
    names = [p.name for p in Path(MIGRATIONS, "versions").glob("*.py")]
    assert names, "no migrations found"
    assert all(name[:8].isdigit() and name[8] == "_" for name in names), names


def test_block_scope_migration_gives_existing_blocks_the_area_of_the_moderator_who_made_them(migration_app):
    """0011: a block made by a district's moderator applies in that district, one by a moderator
    of both the city and a district everywhere, one whose maker is unknown everywhere (the city)."""
    from sqlalchemy import text

    upgrade(directory=MIGRATIONS, revision="0009")
    now = "CURRENT_TIMESTAMP"
    with db.engine.begin() as connection:
        run = connection.execute
        for values in ("1, NULL, '/1/', '市', 'City'", "2, 1, '/1/2/', '渝中区', 'Yuzhong'"):
            run(
                text(
                    f"INSERT INTO authority (id, parent_id, path, name_zh, name_en, created_at) VALUES ({values},{now})"
                )
            )
        for user_id in (1, 2, 3):
            run(
                text(
                    "INSERT INTO user_account (id, email, display_name, password_hash, language, active, session_token,"
                    f" created_at, updated_at) VALUES (:id, :email, 'x', 'x', 'zh', TRUE, :token, {now}, {now})"
                ),
                {"id": user_id, "email": f"u{user_id}@example.org", "token": f"token{user_id}"},
            )
        for user_id, role, authority_id in [(1, "moderator", 2), (2, "moderator", 2), (2, "commission_admin", 1)]:
            run(
                text(f"INSERT INTO membership (user_id, role, authority_id, created_at) VALUES (:u, :r, :a, {now})"),
                {"u": user_id, "r": role, "a": authority_id},
            )
        for block_id, maker in [(1, 1), (2, 2), (3, None)]:
            run(
                text(
                    "INSERT INTO account_block (id, user_id, blocked_by_id, reason, created_at)"
                    f" VALUES (:id, 3, :maker, 'x', {now})"
                ),
                {"id": block_id, "maker": maker},
            )

    upgrade(directory=MIGRATIONS, revision="0011")
    with db.engine.connect() as connection:
        scopes = connection.execute(text("SELECT id, authority_id FROM account_block ORDER BY id")).all()
    assert [tuple(row) for row in scopes] == [(1, 2), (2, 1), (3, 1)]

    downgrade(directory=MIGRATIONS, revision="0009")
    assert "authority_id" not in {c["name"] for c in inspect(db.engine).get_columns("account_block")}


def test_search_pairs_migration_adds_the_pair_tokens_to_the_index_and_takes_them_out_again(migration_app):
    """0023: an entry indexed before it finds a word the dictionary does not know by its pairs of
    characters (陪餐 -> 陪餐x) once upgraded, and the words are as they were once downgraded."""
    from sqlalchemy import text

    upgrade(directory=MIGRATIONS, revision="0022")
    postgres = db.engine.dialect.name == "postgresql"
    terms = "关于 食堂 的 决定 关 于 食 堂 的 决 定 家长 陪 餐 检查 家 长 陪 餐 检 查"
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO search_entry (id, kind, record_id, title, title_en, body, terms)"
                " VALUES (1, 'decision', 1, '关于食堂的决定', '', '家长陪餐检查', :terms)"
            ),
            {"terms": terms},
        )
        if postgres:
            connection.execute(text("UPDATE search_entry SET search_vector = to_tsvector('simple', terms)"))
        else:
            connection.execute(text("INSERT INTO search_fts (rowid, terms) VALUES (1, :terms)"), {"terms": terms})

    def found(pair):
        with db.engine.connect() as connection:
            if postgres:
                query = "SELECT count(*) FROM search_entry WHERE search_vector @@ to_tsquery('simple', :pair)"
            else:
                query = "SELECT count(*) FROM search_fts WHERE search_fts MATCH '\"' || :pair || '\"'"
            return connection.execute(text(query), {"pair": pair}).scalar()

    assert found("陪餐x") == 0

    upgrade(directory=MIGRATIONS, revision="0023")
    assert found("陪餐x") == 1 and found("食堂x") == 1 and found("餐检x") == 1
    assert found("定家x") == 0  # the title and the text are not one run

    downgrade(directory=MIGRATIONS, revision="0022")
    assert found("陪餐x") == 0
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT terms FROM search_entry")).scalar() == terms


def test_rejected_tallies_migration_counts_the_responses_rejected_before_it(migration_app):
    """0024: the responses rejected before it are counted by reason in the tallies (the page then
    reads the same counts as before); downgrading takes those tallies out, and the column."""
    from sqlalchemy import text

    from portal.consultations import responses
    from portal.consultations.models import Consultation
    from portal.moderation import services as moderation_services
    from tests.helpers import factories
    from tests.helpers.consultations import create_consultation, respond, someone

    upgrade(directory=MIGRATIONS)
    consultation = create_consultation(factories.school(factories.authority()))
    for reason in ["off_topic", "写得太长了", "off_topic"]:
        moderation_services.moderate(None, respond(consultation, someone(), "neutral"), "reject", reason=reason)
    db.session.commit()
    consultation_id = consultation.id
    before = responses.results_and_rejection_reasons(consultation)[1]
    db.session.remove()

    def rejected_tallies():
        with db.engine.connect() as connection:
            counted = "SELECT count(*) FROM consultation_tally WHERE key LIKE 'rejected:%'"
            return connection.execute(text(counted)).scalar()

    downgrade(directory=MIGRATIONS, revision="0023")
    assert rejected_tallies() == 0
    assert "label" not in {c["name"] for c in inspect(db.engine).get_columns("consultation_tally")}

    upgrade(directory=MIGRATIONS, revision="0024")
    assert rejected_tallies() == 2
    after = responses.results_and_rejection_reasons(db.session.get(Consultation, consultation_id))[1]
    assert after == before == [("off_topic", 2), ("写得太长了", 1)]
    db.session.remove()


def test_schools_by_pinyin_migration_gives_every_school_its_key_and_downgrades_with_schools_in_use(migration_app):
    """0026: the schools there were before it get their names' keys (the directory's order);
    downgrading takes the column out although other rows refer to the schools."""
    from sqlalchemy import text

    from portal.schools.models import School
    from tests.helpers import factories

    upgrade(directory=MIGRATIONS)
    school = factories.school(factories.authority(), slug="old", name_zh="重庆市第二中学校")
    factories.user(role="parent", scope=school)  # a membership refers to the school
    db.session.commit()
    db.session.remove()

    downgrade(directory=MIGRATIONS, revision="0025")
    assert "name_sort" not in {c["name"] for c in inspect(db.engine).get_columns("school")}
    assert "ix_school_authority_name" in {i["name"] for i in inspect(db.engine).get_indexes("school")}

    upgrade(directory=MIGRATIONS, revision="0026")
    with db.engine.connect() as connection:
        key = connection.execute(text("SELECT name_sort FROM school WHERE slug = 'old'")).scalar()
    assert key == "chong2 qing4 shi4 di4 00000002 zhong1 xue2 xiao4"
    assert db.session.scalar(db.select(School).where(School.slug == "old")).name_sort == key
    db.session.remove()
    upgrade(directory=MIGRATIONS)
    assert schema_differences() == []
    db.session.remove()
