"""billing fixes: one running subscription per user, and the subscribe attempt counter for idempotency keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LIVE_ONLY = "status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused')"


def upgrade():
    # The index cannot be made over users who already have two running subscriptions (the race it closes):
    # those are charged twice at Stripe, which a migration must not decide about. Say who they are.
    doubled = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT user_id, COUNT(*) FROM subscription WHERE {LIVE_ONLY} GROUP BY user_id HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if doubled:
        users = ", ".join(f"user {user_id} ({count} subscriptions)" for user_id, count in doubled)
        raise RuntimeError(
            f"Some investors have more than one running Stripe subscription: {users}. Cancel the extra ones "
            "in the Stripe dashboard (refund if needed), let the webhooks mark them canceled, then migrate again."
        )

    with op.batch_alter_table("billing_customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscribe_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False))

    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(
            "uq_subscription_user_live",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text(LIVE_ONLY),
            postgresql_where=sa.text(LIVE_ONLY),
        )


def downgrade():
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("uq_subscription_user_live")

    with op.batch_alter_table("billing_customer", schema=None) as batch_op:
        batch_op.drop_column("subscribe_attempts")
