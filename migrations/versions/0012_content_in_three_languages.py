"""content in three languages: startups' taglines and descriptions and hubs' names in Russian and Kazakh,
and full-text search over every language version

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Frozen here, not imported: the columns each version of the search covers.
OLD_COLUMNS = ("name", "tagline", "description")
NEW_COLUMNS = ("name", "tagline", "description", "tagline_ru", "tagline_kk", "description_ru", "description_kk")
WEIGHTS = {"name": "A", "tagline": "B", "tagline_ru": "B", "tagline_kk": "B"}  # descriptions weigh C


# Stage names in the glossary's words (dealflow/translations/glossary.toml), frozen here: code, ru, kk, then before.
STAGE_NAMES = (
    ("mvp", "Минимальный продукт", "Минималды өнім", "MVP", "MVP"),
    ("pre_seed", "Предпосевная стадия", "Бастапқы кезеңге дейін", "Pre-seed", "Pre-seed"),
    ("seed", "Посевная стадия", "Бастапқы кезең", "Seed", "Seed"),
)


def rename_stages(new: bool) -> None:
    stage = sa.table(
        "stage", sa.column("code", sa.String), sa.column("name_ru", sa.String), sa.column("name_kk", sa.String)
    )
    for code, ru, kk, old_ru, old_kk in STAGE_NAMES:
        names = {"name_ru": ru, "name_kk": kk} if new else {"name_ru": old_ru, "name_kk": old_kk}
        op.execute(stage.update().where(stage.c.code == code).values(**names))


def upgrade():
    rename_stages(new=True)
    drop_full_text_search()
    with op.batch_alter_table("startup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_language", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("tagline_ru", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("tagline_kk", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("description_ru", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("description_kk", sa.Text(), nullable=True))
    with op.batch_alter_table("hub", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_ru", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("name_kk", sa.String(length=120), nullable=True))
    create_full_text_search(NEW_COLUMNS)


def downgrade():
    rename_stages(new=False)
    drop_full_text_search()
    with op.batch_alter_table("hub", schema=None) as batch_op:
        batch_op.drop_column("name_kk")
        batch_op.drop_column("name_ru")
    with op.batch_alter_table("startup", schema=None) as batch_op:
        batch_op.drop_column("description_kk")
        batch_op.drop_column("description_ru")
        batch_op.drop_column("tagline_kk")
        batch_op.drop_column("tagline_ru")
        batch_op.drop_column("content_language")
    create_full_text_search(OLD_COLUMNS)


def create_full_text_search(columns: tuple[str, ...]) -> None:
    """SQLite: an FTS5 table kept in sync by triggers. PostgreSQL: a stored tsvector with a GIN index."""
    listed = ", ".join(columns)
    if op.get_bind().dialect.name == "sqlite":
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE startup_fts USING fts5({listed}, content='startup', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(f"INSERT INTO startup_fts(rowid, {listed}) SELECT id, {listed} FROM startup")
        op.execute(
            "CREATE TRIGGER startup_fts_insert AFTER INSERT ON startup BEGIN "
            f"INSERT INTO startup_fts(rowid, {listed}) VALUES (new.id, {new}); END"
        )
        op.execute(
            "CREATE TRIGGER startup_fts_delete AFTER DELETE ON startup BEGIN "
            f"INSERT INTO startup_fts(startup_fts, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER startup_fts_update AFTER UPDATE OF {listed} ON startup BEGIN "
            f"INSERT INTO startup_fts(startup_fts, rowid, {listed}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO startup_fts(rowid, {listed}) VALUES (new.id, {new}); END"
        )
    else:
        vector = " || ".join(
            f"setweight(to_tsvector('simple', coalesce({c}, '')), '{WEIGHTS.get(c, 'C')}')" for c in columns
        )
        op.execute(f"ALTER TABLE startup ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
        op.execute("CREATE INDEX ix_startup_search_vector ON startup USING gin (search_vector)")


def drop_full_text_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS startup_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS startup_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_startup_search_vector")
        op.execute("ALTER TABLE startup DROP COLUMN IF EXISTS search_vector")
