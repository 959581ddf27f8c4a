"""The rejected responses' counts by reason, kept as running tallies (consultation_tally rows
"rejected:<SHA-256 of the reason>", the reason in the new column `label`), so that a
consultation's page no longer counts its rejected responses at each visit. Upgrading counts the
responses already rejected; downgrading removes those rows and the column.

Revision ID: 0024
Revises: 0023
"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

REJECTED_PREFIX = "rejected:"  # portal/consultations/responses.py rejected_key(), as of this revision


def _key(reason: str) -> str:
    return REJECTED_PREFIX + hashlib.sha256(reason.encode("utf-8")).hexdigest()[:40]


def upgrade():
    with op.batch_alter_table("consultation_tally") as batch:
        batch.add_column(sa.Column("label", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT consultation_id, reject_reason, count(*) FROM consultation_response "
            "WHERE state = 'rejected' GROUP BY consultation_id, reject_reason"
        )
    ).all()
    if rows:
        tally = sa.table(
            "consultation_tally",
            sa.column("consultation_id", sa.Integer),
            sa.column("key", sa.String),
            sa.column("count", sa.Integer),
            sa.column("label", sa.Text),
        )
        counted: dict[tuple[int, str], list] = {}
        for consultation_id, reason, count in rows:
            reason = reason or ""
            entry = counted.setdefault((consultation_id, _key(reason)), [reason, 0])
            entry[1] += count
        op.bulk_insert(
            tally,
            [
                {"consultation_id": consultation_id, "key": key, "count": count, "label": reason}
                for (consultation_id, key), (reason, count) in counted.items()
            ],
        )


def downgrade():
    op.execute(sa.text("DELETE FROM consultation_tally WHERE key LIKE 'rejected:%'"))
    with op.batch_alter_table("consultation_tally") as batch:
        batch.drop_column("label")
