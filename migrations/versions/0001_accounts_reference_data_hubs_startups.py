"""accounts, reference data, hubs, startups

Revision ID: 0001
Revises:
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Reference data as it stood when this migration was written; later corrections
# come in later migrations (or `flask reference sync`), never by editing these rows.
REGIONS = [
    {
        "code": "KZ-71",
        "name_en": "Astana",
        "name_ru": "Астана",
        "name_kk": "Астана",
        "centre_en": "Astana",
        "is_main_hub": True,
        "position": 0,
    },
    {
        "code": "KZ-75",
        "name_en": "Almaty",
        "name_ru": "Алматы",
        "name_kk": "Алматы",
        "centre_en": "Almaty",
        "is_main_hub": True,
        "position": 1,
    },
    {
        "code": "KZ-79",
        "name_en": "Shymkent",
        "name_ru": "Шымкент",
        "name_kk": "Шымкент",
        "centre_en": "Shymkent",
        "is_main_hub": False,
        "position": 2,
    },
    {
        "code": "KZ-10",
        "name_en": "Abai Region",
        "name_ru": "Абайская область",
        "name_kk": "Абай облысы",
        "centre_en": "Semey",
        "is_main_hub": False,
        "position": 3,
    },
    {
        "code": "KZ-11",
        "name_en": "Akmola Region",
        "name_ru": "Акмолинская область",
        "name_kk": "Ақмола облысы",
        "centre_en": "Kokshetau",
        "is_main_hub": False,
        "position": 4,
    },
    {
        "code": "KZ-15",
        "name_en": "Aktobe Region",
        "name_ru": "Актюбинская область",
        "name_kk": "Ақтөбе облысы",
        "centre_en": "Aktobe",
        "is_main_hub": False,
        "position": 5,
    },
    {
        "code": "KZ-19",
        "name_en": "Almaty Region",
        "name_ru": "Алматинская область",
        "name_kk": "Алматы облысы",
        "centre_en": "Konaev",
        "is_main_hub": False,
        "position": 6,
    },
    {
        "code": "KZ-23",
        "name_en": "Atyrau Region",
        "name_ru": "Атырауская область",
        "name_kk": "Атырау облысы",
        "centre_en": "Atyrau",
        "is_main_hub": False,
        "position": 7,
    },
    {
        "code": "KZ-27",
        "name_en": "West Kazakhstan Region",
        "name_ru": "Западно-Казахстанская область",
        "name_kk": "Батыс Қазақстан облысы",
        "centre_en": "Oral",
        "is_main_hub": False,
        "position": 8,
    },
    {
        "code": "KZ-31",
        "name_en": "Zhambyl Region",
        "name_ru": "Жамбылская область",
        "name_kk": "Жамбыл облысы",
        "centre_en": "Taraz",
        "is_main_hub": False,
        "position": 9,
    },
    {
        "code": "KZ-33",
        "name_en": "Zhetisu Region",
        "name_ru": "Область Жетісу",
        "name_kk": "Жетісу облысы",
        "centre_en": "Taldykorgan",
        "is_main_hub": False,
        "position": 10,
    },
    {
        "code": "KZ-35",
        "name_en": "Karaganda Region",
        "name_ru": "Карагандинская область",
        "name_kk": "Қарағанды облысы",
        "centre_en": "Karaganda",
        "is_main_hub": False,
        "position": 11,
    },
    {
        "code": "KZ-39",
        "name_en": "Kostanay Region",
        "name_ru": "Костанайская область",
        "name_kk": "Қостанай облысы",
        "centre_en": "Kostanay",
        "is_main_hub": False,
        "position": 12,
    },
    {
        "code": "KZ-43",
        "name_en": "Kyzylorda Region",
        "name_ru": "Кызылординская область",
        "name_kk": "Қызылорда облысы",
        "centre_en": "Kyzylorda",
        "is_main_hub": False,
        "position": 13,
    },
    {
        "code": "KZ-47",
        "name_en": "Mangystau Region",
        "name_ru": "Мангистауская область",
        "name_kk": "Маңғыстау облысы",
        "centre_en": "Aktau",
        "is_main_hub": False,
        "position": 14,
    },
    {
        "code": "KZ-55",
        "name_en": "Pavlodar Region",
        "name_ru": "Павлодарская область",
        "name_kk": "Павлодар облысы",
        "centre_en": "Pavlodar",
        "is_main_hub": False,
        "position": 15,
    },
    {
        "code": "KZ-59",
        "name_en": "North Kazakhstan Region",
        "name_ru": "Северо-Казахстанская область",
        "name_kk": "Солтүстік Қазақстан облысы",
        "centre_en": "Petropavl",
        "is_main_hub": False,
        "position": 16,
    },
    {
        "code": "KZ-61",
        "name_en": "Turkistan Region",
        "name_ru": "Туркестанская область",
        "name_kk": "Түркістан облысы",
        "centre_en": "Turkistan",
        "is_main_hub": False,
        "position": 17,
    },
    {
        "code": "KZ-62",
        "name_en": "Ulytau Region",
        "name_ru": "Область Ұлытау",
        "name_kk": "Ұлытау облысы",
        "centre_en": "Zhezkazgan",
        "is_main_hub": False,
        "position": 18,
    },
    {
        "code": "KZ-63",
        "name_en": "East Kazakhstan Region",
        "name_ru": "Восточно-Казахстанская область",
        "name_kk": "Шығыс Қазақстан облысы",
        "centre_en": "Oskemen",
        "is_main_hub": False,
        "position": 19,
    },
]
SECTORS = [
    {"code": "fintech", "name_en": "Fintech", "name_ru": "Финтех", "name_kk": "Финтех", "position": 0},
    {
        "code": "edtech",
        "name_en": "Education (EdTech)",
        "name_ru": "Образование (EdTech)",
        "name_kk": "Білім беру (EdTech)",
        "position": 1,
    },
    {
        "code": "healthtech",
        "name_en": "Health (HealthTech)",
        "name_ru": "Здравоохранение (HealthTech)",
        "name_kk": "Денсаулық сақтау (HealthTech)",
        "position": 2,
    },
    {
        "code": "agritech",
        "name_en": "Agriculture (AgriTech)",
        "name_ru": "Сельское хозяйство (AgriTech)",
        "name_kk": "Ауыл шаруашылығы (AgriTech)",
        "position": 3,
    },
    {
        "code": "ecommerce",
        "name_en": "E-commerce and retail",
        "name_ru": "Электронная коммерция и ритейл",
        "name_kk": "Электрондық сауда және ритейл",
        "position": 4,
    },
    {
        "code": "logistics",
        "name_en": "Logistics and mobility",
        "name_ru": "Логистика и транспорт",
        "name_kk": "Логистика және көлік",
        "position": 5,
    },
    {
        "code": "govtech",
        "name_en": "Public services (GovTech)",
        "name_ru": "Госуслуги (GovTech)",
        "name_kk": "Мемлекеттік қызметтер (GovTech)",
        "position": 6,
    },
    {
        "code": "energy",
        "name_en": "Energy and cleantech",
        "name_ru": "Энергетика и чистые технологии",
        "name_kk": "Энергетика және таза технологиялар",
        "position": 7,
    },
    {
        "code": "industrial",
        "name_en": "Industry and mining",
        "name_ru": "Промышленность и горное дело",
        "name_kk": "Өнеркәсіп және тау-кен ісі",
        "position": 8,
    },
    {
        "code": "ai_data",
        "name_en": "AI and data",
        "name_ru": "ИИ и данные",
        "name_kk": "ЖИ және деректер",
        "position": 9,
    },
    {
        "code": "cybersecurity",
        "name_en": "Cybersecurity",
        "name_ru": "Кибербезопасность",
        "name_kk": "Киберқауіпсіздік",
        "position": 10,
    },
    {
        "code": "saas",
        "name_en": "B2B software (SaaS)",
        "name_ru": "B2B-софт (SaaS)",
        "name_kk": "B2B бағдарламалар (SaaS)",
        "position": 11,
    },
    {
        "code": "media_gaming",
        "name_en": "Media and games",
        "name_ru": "Медиа и игры",
        "name_kk": "Медиа және ойындар",
        "position": 12,
    },
    {
        "code": "travel",
        "name_en": "Travel and hospitality",
        "name_ru": "Туризм и гостеприимство",
        "name_kk": "Туризм және қонақжайлылық",
        "position": 13,
    },
    {
        "code": "proptech",
        "name_en": "Real estate and construction",
        "name_ru": "Недвижимость и строительство",
        "name_kk": "Жылжымайтын мүлік және құрылыс",
        "position": 14,
    },
    {"code": "other", "name_en": "Other", "name_ru": "Другое", "name_kk": "Басқа", "position": 15},
]
STAGES = [
    {"code": "idea", "name_en": "Idea", "name_ru": "Идея", "name_kk": "Идея", "position": 0},
    {"code": "mvp", "name_en": "MVP", "name_ru": "MVP", "name_kk": "MVP", "position": 1},
    {"code": "pre_seed", "name_en": "Pre-seed", "name_ru": "Pre-seed", "name_kk": "Pre-seed", "position": 2},
    {"code": "seed", "name_en": "Seed", "name_ru": "Seed", "name_kk": "Seed", "position": 3},
    {"code": "series_a", "name_en": "Series A", "name_ru": "Раунд A", "name_kk": "A раунды", "position": 4},
    {
        "code": "growth",
        "name_en": "Growth (Series B and later)",
        "name_ru": "Рост (раунд B и далее)",
        "name_kk": "Өсу (B раунды және одан кейін)",
        "position": 5,
    },
]


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "region",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("centre_en", sa.String(length=80), nullable=False),
        sa.Column("is_main_hub", sa.Boolean(), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_ru", sa.String(length=80), nullable=False),
        sa.Column("name_kk", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
    )
    op.create_table(
        "sector",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_ru", sa.String(length=80), nullable=False),
        sa.Column("name_kk", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sector")),
    )
    op.create_table(
        "stage",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_ru", sa.String(length=80), nullable=False),
        sa.Column("name_kk", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_stage")),
    )
    op.create_table(
        "hub",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("home_region_code", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["home_region_code"], ["region.code"], name=op.f("fk_hub_home_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub")),
        sa.UniqueConstraint("name", name=op.f("uq_hub_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_hub_slug")),
    )
    op.create_table(
        "hub_region",
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], name=op.f("fk_hub_region_hub_id_hub"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_hub_region_region_code_region")),
        sa.PrimaryKeyConstraint("hub_id", "region_code", name=op.f("pk_hub_region")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "founder",
                "investor",
                "hub_staff",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("locale", sa.String(length=5), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], name=op.f("fk_user_account_hub_id_hub"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_table(
        "startup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("slug", sa.String(length=140), nullable=False),
        sa.Column("tagline", sa.String(length=140), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("founded_year", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("sector_code", sa.String(length=32), nullable=True),
        sa.Column("stage_code", sa.String(length=32), nullable=True),
        sa.Column("team_size", sa.Integer(), nullable=True),
        sa.Column("ask_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column(
            "ask_currency",
            sa.Enum("KZT", "USD", name="currency", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("ask_usd", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column(
            "instrument",
            sa.Enum(
                "equity",
                "safe",
                "convertible_note",
                "grant",
                "debt",
                name="instrument",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("monthly_revenue_usd", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("customers_count", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "rejected",
                "changes_requested",
                "archived",
                name="startup_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_startup_owner_id_user_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_startup_region_code_region")),
        sa.ForeignKeyConstraint(["sector_code"], ["sector.code"], name=op.f("fk_startup_sector_code_sector")),
        sa.ForeignKeyConstraint(["stage_code"], ["stage.code"], name=op.f("fk_startup_stage_code_stage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_startup")),
        sa.UniqueConstraint("slug", name=op.f("uq_startup_slug")),
    )
    with op.batch_alter_table("startup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_startup_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_startup_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_startup_status"), ["status"], unique=False)

    # ### end Alembic commands ###
    named = ("code", "name_en", "name_ru", "name_kk", "position")
    region = sa.table("region", *(sa.column(c) for c in (*named, "centre_en", "is_main_hub")))
    op.bulk_insert(region, REGIONS)
    op.bulk_insert(sa.table("sector", *(sa.column(c) for c in named)), SECTORS)
    op.bulk_insert(sa.table("stage", *(sa.column(c) for c in named)), STAGES)


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("startup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_startup_status"))
        batch_op.drop_index(batch_op.f("ix_startup_region_code"))
        batch_op.drop_index(batch_op.f("ix_startup_owner_id"))

    op.drop_table("startup")
    op.drop_table("user_account")
    op.drop_table("hub_region")
    op.drop_table("hub")
    op.drop_table("stage")
    op.drop_table("sector")
    op.drop_table("region")
    # ### end Alembic commands ###
