"""account lifecycle: email verification, consent, server-side sessions, single-use email links

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("terms_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("terms_version", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    # Accounts that exist before verification was asked for count as verified: their owners were never sent a link.
    op.execute("UPDATE user_account SET email_verified_at = created_at")

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(length=80), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index("ix_user_session_user_id_ended_at", "user_session", ["user_id", "ended_at"], unique=False)

    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "verify_email",
                "change_email",
                "reset_password",
                name="token_purpose",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("new_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_account_token_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_token_hash")),
    )
    op.create_index(op.f("ix_account_token_user_id"), "account_token", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_account_token_user_id"), table_name="account_token")
    op.drop_table("account_token")
    op.drop_index("ix_user_session_user_id_ended_at", table_name="user_session")
    op.drop_table("user_session")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("terms_version")
        batch_op.drop_column("terms_accepted_at")
        batch_op.drop_column("email_verified_at")
