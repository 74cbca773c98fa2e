"""the evidence ledger's Merkle tree, signed checkpoints, witnesses and the committed private fields

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

The v1 chain stays as it is: match_event only gains columns (ADD COLUMN, no table rebuild on
SQLite, so its append-only triggers stay), and the tree's first leaf, written by the first append
or checkpoint after this, commits to the chain's head at that moment.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_tree_node", "ledger_checkpoint", "ledger_cosignature")


def upgrade():
    op.add_column("match_event", sa.Column("leaf_version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("match_event", sa.Column("leaf_index", sa.BigInteger(), nullable=True))
    op.add_column("match_event", sa.Column("amount_public", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("match_event", sa.Column("salt", sa.String(length=32), nullable=True))
    op.add_column("match_event", sa.Column("commitment", sa.String(length=64), nullable=True))
    op.create_index("uq_match_event_leaf_index", "match_event", ["leaf_index"], unique=True)
    op.add_column(
        "match_progress", sa.Column("publish_amount", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    for table in ("ledger_rollup", "ledger_slice"):  # how many of the counted events published their amount
        op.add_column(table, sa.Column("disclosed_count", sa.BigInteger(), server_default="0", nullable=False))
        op.execute(f"UPDATE {table} SET disclosed_count = event_count WHERE amount_usd_cents > 0")  # v1: all public
    op.add_column("ledger_head", sa.Column("tree_size", sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "ledger_tree_node",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_ledger_tree_node")),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_checkpoint")),
    )
    op.create_table(
        "ledger_witness",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("verifier_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_witness")),
        sa.UniqueConstraint("name", name=op.f("uq_ledger_witness_name")),
        sa.UniqueConstraint("verifier_key", name=op.f("uq_ledger_witness_verifier_key")),
    )
    op.create_table(
        "ledger_cosignature",
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tree_size"],
            ["ledger_checkpoint.tree_size"],
            name=op.f("fk_ledger_cosignature_tree_size_ledger_checkpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"], ["ledger_witness.id"], name=op.f("fk_ledger_cosignature_witness_id_ledger_witness")
        ),
        sa.PrimaryKeyConstraint("tree_size", "witness_id", name=op.f("pk_ledger_cosignature")),
    )
    for table in APPEND_ONLY:
        make_append_only(table)


def downgrade():
    for table in APPEND_ONLY:
        drop_append_only(table)
    op.drop_table("ledger_cosignature")
    op.drop_table("ledger_witness")
    op.drop_table("ledger_checkpoint")
    op.drop_table("ledger_tree_node")
    for table in ("ledger_rollup", "ledger_slice"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("disclosed_count")
    with op.batch_alter_table("match_progress") as batch_op:
        batch_op.drop_column("publish_amount")
    with op.batch_alter_table("ledger_head") as batch_op:
        batch_op.drop_column("tree_size")
    op.drop_index("uq_match_event_leaf_index", table_name="match_event")
    with op.batch_alter_table("match_event") as batch_op:
        for column in ("commitment", "salt", "amount_public", "leaf_index", "leaf_version"):
            batch_op.drop_column(column)


def make_append_only(table: str) -> None:
    """The database refuses UPDATE and DELETE on the table, as 0007 does for match_event (frozen copy)."""
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    else:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION dealflow_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION dealflow_refuse_change()"
        )


def drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
