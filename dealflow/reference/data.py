"""The project's own reference table: ISO 3166-2:KZ regions (2022 revision), sectors, stages.

pycountry carries the region codes but its Russian and Kazakh names are incomplete,
so the names in all three languages are kept here and loaded by the migrations.
"""

from __future__ import annotations

from typing import NamedTuple


class RegionRow(NamedTuple):
    code: str
    name_en: str
    name_ru: str
    name_kk: str
    centre_en: str
    is_main_hub: bool


class NamedRow(NamedTuple):
    code: str
    name_en: str
    name_ru: str
    name_kk: str


def reference_name(rows: tuple[NamedRow, ...], code: str | None, locale: str) -> str:
    """A sector's or stage's name in the given language, from this table."""
    column = {"ru": 2, "kk": 3}.get(locale, 1)
    for row in rows:
        if row.code == code:
            return row[column]
    return code or ""


def region_name(code: str | None, locale: str) -> str:
    """A region's name in the given language, from this table (no database needed)."""
    for row in REGIONS:
        if row.code == code:
            return {"ru": row.name_ru, "kk": row.name_kk}.get(locale, row.name_en)
    return code or ""


REGIONS: tuple[RegionRow, ...] = (
    RegionRow("KZ-71", "Astana", "Астана", "Астана", "Astana", True),
    RegionRow("KZ-75", "Almaty", "Алматы", "Алматы", "Almaty", True),
    RegionRow("KZ-79", "Shymkent", "Шымкент", "Шымкент", "Shymkent", False),
    RegionRow("KZ-10", "Abai Region", "Абайская область", "Абай облысы", "Semey", False),
    RegionRow("KZ-11", "Akmola Region", "Акмолинская область", "Ақмола облысы", "Kokshetau", False),
    RegionRow("KZ-15", "Aktobe Region", "Актюбинская область", "Ақтөбе облысы", "Aktobe", False),
    RegionRow("KZ-19", "Almaty Region", "Алматинская область", "Алматы облысы", "Konaev", False),
    RegionRow("KZ-23", "Atyrau Region", "Атырауская область", "Атырау облысы", "Atyrau", False),
    RegionRow(
        "KZ-27", "West Kazakhstan Region", "Западно-Казахстанская область", "Батыс Қазақстан облысы", "Oral", False
    ),
    RegionRow("KZ-31", "Zhambyl Region", "Жамбылская область", "Жамбыл облысы", "Taraz", False),
    RegionRow("KZ-33", "Zhetisu Region", "Область Жетісу", "Жетісу облысы", "Taldykorgan", False),
    RegionRow("KZ-35", "Karaganda Region", "Карагандинская область", "Қарағанды облысы", "Karaganda", False),
    RegionRow("KZ-39", "Kostanay Region", "Костанайская область", "Қостанай облысы", "Kostanay", False),
    RegionRow("KZ-43", "Kyzylorda Region", "Кызылординская область", "Қызылорда облысы", "Kyzylorda", False),
    RegionRow("KZ-47", "Mangystau Region", "Мангистауская область", "Маңғыстау облысы", "Aktau", False),
    RegionRow("KZ-55", "Pavlodar Region", "Павлодарская область", "Павлодар облысы", "Pavlodar", False),
    RegionRow(
        "KZ-59",
        "North Kazakhstan Region",
        "Северо-Казахстанская область",
        "Солтүстік Қазақстан облысы",
        "Petropavl",
        False,
    ),
    RegionRow("KZ-61", "Turkistan Region", "Туркестанская область", "Түркістан облысы", "Turkistan", False),
    RegionRow("KZ-62", "Ulytau Region", "Область Ұлытау", "Ұлытау облысы", "Zhezkazgan", False),
    RegionRow(
        "KZ-63", "East Kazakhstan Region", "Восточно-Казахстанская область", "Шығыс Қазақстан облысы", "Oskemen", False
    ),
)
# The one list of the main hubs (Astana and Almaty city): the region table's column is loaded from these rows.
MAIN_HUB_CODES = frozenset(row.code for row in REGIONS if row.is_main_hub)

SECTORS: tuple[NamedRow, ...] = (
    NamedRow("fintech", "Fintech", "Финтех", "Финтех"),
    NamedRow("edtech", "Education (EdTech)", "Образование (EdTech)", "Білім беру (EdTech)"),
    NamedRow("healthtech", "Health (HealthTech)", "Здравоохранение (HealthTech)", "Денсаулық сақтау (HealthTech)"),
    NamedRow("agritech", "Agriculture (AgriTech)", "Сельское хозяйство (AgriTech)", "Ауыл шаруашылығы (AgriTech)"),
    NamedRow("ecommerce", "E-commerce and retail", "Электронная коммерция и ритейл", "Электрондық сауда және ритейл"),
    NamedRow("logistics", "Logistics and mobility", "Логистика и транспорт", "Логистика және көлік"),
    NamedRow("govtech", "Public services (GovTech)", "Госуслуги (GovTech)", "Мемлекеттік қызметтер (GovTech)"),
    NamedRow("energy", "Energy and cleantech", "Энергетика и чистые технологии", "Энергетика және таза технологиялар"),
    NamedRow("industrial", "Industry and mining", "Промышленность и горное дело", "Өнеркәсіп және тау-кен ісі"),
    NamedRow("ai_data", "AI and data", "ИИ и данные", "ЖИ және деректер"),
    NamedRow("cybersecurity", "Cybersecurity", "Кибербезопасность", "Киберқауіпсіздік"),
    NamedRow("saas", "B2B software (SaaS)", "B2B-софт (SaaS)", "B2B бағдарламалар (SaaS)"),
    NamedRow("media_gaming", "Media and games", "Медиа и игры", "Медиа және ойындар"),
    NamedRow("travel", "Travel and hospitality", "Туризм и гостеприимство", "Туризм және қонақжайлылық"),
    NamedRow(
        "proptech", "Real estate and construction", "Недвижимость и строительство", "Жылжымайтын мүлік және құрылыс"
    ),
    NamedRow("other", "Other", "Другое", "Басқа"),
)

STAGES: tuple[NamedRow, ...] = (
    NamedRow("idea", "Idea", "Идея", "Идея"),
    NamedRow("mvp", "MVP", "Минимальный продукт", "Минималды өнім"),
    NamedRow("pre_seed", "Pre-seed", "Предпосевная стадия", "Бастапқы кезеңге дейін"),
    NamedRow("seed", "Seed", "Посевная стадия", "Бастапқы кезең"),
    NamedRow("series_a", "Series A", "Раунд A", "A раунды"),
    NamedRow("growth", "Growth (Series B and later)", "Рост (раунд B и далее)", "Өсу (B раунды және одан кейін)"),
)
