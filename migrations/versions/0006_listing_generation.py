"""listing generation for exact discovery caches; partial indexes per filter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPROVED_ONLY = sa.text("status = 'approved'")


def upgrade():
    listing_state = op.create_table(
        "listing_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_state")),
    )
    op.bulk_insert(listing_state, [{"id": 1, "generation": 0}])
    with op.batch_alter_table("startup", schema=None) as batch_op:
        for name, columns in (
            ("ix_startup_approved_sector", ["sector_code", "created_at"]),
            ("ix_startup_approved_stage", ["stage_code", "created_at"]),
        ):
            batch_op.create_index(
                name, columns, unique=False, sqlite_where=APPROVED_ONLY, postgresql_where=APPROVED_ONLY
            )


def downgrade():
    with op.batch_alter_table("startup", schema=None) as batch_op:
        batch_op.drop_index("ix_startup_approved_stage", sqlite_where=APPROVED_ONLY, postgresql_where=APPROVED_ONLY)
        batch_op.drop_index("ix_startup_approved_sector", sqlite_where=APPROVED_ONLY, postgresql_where=APPROVED_ONLY)
    op.drop_table("listing_state")
