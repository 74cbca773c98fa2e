"""The demo's words in Kazakh, Russian and English: what its founders, reviewers and investors wrote."""

from __future__ import annotations

# sector: the tagline in English, Russian and Kazakh, as a founder of that sector would write it.
SECTOR_TAGLINES: dict[str, dict[str, str]] = {
    "agritech": {
        "en": "Soil and weather data that tell farmers when to sow and water",
        "ru": "Данные о почве и погоде, которые подсказывают фермерам, когда сеять и поливать",
        "kk": "Фермерлерге қашан егіп, қашан суару керегін айтатын топырақ пен ауа райы деректері",
    },
    "fintech": {
        "en": "Instalment payments for small shops without a bank branch nearby",
        "ru": "Рассрочка для небольших магазинов, рядом с которыми нет отделения банка",
        "kk": "Жақын маңда банк бөлімшесі жоқ шағын дүкендерге арналған бөліп төлеу",
    },
    "edtech": {
        "en": "Exam preparation in Kazakh and Russian for rural schools",
        "ru": "Подготовка к экзаменам на казахском и русском языках для сельских школ",
        "kk": "Ауыл мектептеріне арналған білім беру платформасы: қазақ және орыс тілдерінде емтиханға дайындық",
    },
    "healthtech": {
        "en": "Telemedicine consultations for district clinics",
        "ru": "Телемедицинские консультации для районных поликлиник",
        "kk": "Аудандық емханаларға арналған телемедициналық кеңестер",
    },
    "logistics": {
        "en": "Shared freight for the long roads between regional centres",
        "ru": "Попутные грузоперевозки на длинных дорогах между областными центрами",
        "kk": "Облыс орталықтары арасындағы ұзақ жолдарға арналған ортақ жүк тасымалы",
    },
    "energy": {
        "en": "Solar micro-grids for remote pastures and villages",
        "ru": "Солнечные микросети для отдалённых пастбищ и сёл",
        "kk": "Шалғай жайылымдар мен ауылдарға арналған күн микрожелілері",
    },
    "industrial": {
        "en": "Predictive maintenance for mining and metals plants",
        "ru": "Предиктивное обслуживание оборудования горнодобывающих и металлургических заводов",
        "kk": "Тау-кен және металлургия зауыттарының жабдығына болжамды техникалық қызмет көрсету",
    },
    "ai_data": {
        "en": "Speech recognition and language tools for Kazakh",
        "ru": "Распознавание речи и языковые инструменты для казахского языка",
        "kk": "Қазақ тіліне арналған сөйлеуді тану және тілдік құралдар",
    },
    "ecommerce": {
        "en": "An online bazaar for regional crafts and food producers",
        "ru": "Онлайн-базар для региональных ремесленников и производителей продуктов",
        "kk": "Өңірлік шеберлер мен азық-түлік өндірушілеріне арналған онлайн базар",
    },
    "govtech": {
        "en": "Digital queues and permits for local akimats",
        "ru": "Электронные очереди и разрешения для местных акиматов",
        "kk": "Жергілікті әкімдіктерге арналған электронды кезек пен рұқсаттар",
    },
    "travel": {
        "en": "Bookings for guesthouses along the Silk Road",
        "ru": "Бронирование гостевых домов вдоль Шёлкового пути",
        "kk": "Жібек жолы бойындағы қонақ үйлерді брондау",
    },
    "saas": {
        "en": "Accounting and payroll software for small firms",
        "ru": "Бухгалтерия и расчёт зарплаты для малого бизнеса",
        "kk": "Шағын бизнеске арналған бухгалтерия және жалақы есебі",
    },
}
DESCRIPTIONS = {
    "en": (
        "**{name}** is built in {place}.\n\n"
        "{tagline}. We started with customers in our own region and now sell across Kazakhstan.\n\n"
        "- Local team that knows the market\n- Product in use every day\n- Clear plan for the next 18 months"
    ),
    "ru": (
        "**{name}** — региональный стартап ({place}).\n\n"
        "{tagline}. Мы начали с клиентов в своём регионе, а теперь работаем по всему Казахстану.\n\n"
        "- Местная команда, которая знает рынок\n- Продуктом пользуются каждый день\n"
        "- Понятный план на ближайшие 18 месяцев"
    ),
    "kk": (
        "**{name}** — өңірлік стартап ({place}).\n\n"
        "{tagline}. Біз өз өңіріміздегі клиенттерден бастадық, енді бүкіл Қазақстанда жұмыс істейміз.\n\n"
        "- Нарықты жақсы білетін жергілікті команда\n- Өнімді күн сайын қолданады\n"
        "- Алдағы 18 айға нақты жоспар"
    ),
}
MOBILE_APP = {
    "en": ", now with a mobile app",
    "ru": ", теперь с мобильным приложением",
    "kk": ", енді мобильді қосымшасымен",
}

# A city as a founder writing in that language would type it.
CITIES: dict[str, dict[str, str]] = {
    centre: {"en": centre, "ru": ru, "kk": kk}
    for centre, ru, kk in (
        ("Astana", "Астана", "Астана"),
        ("Almaty", "Алматы", "Алматы"),
        ("Shymkent", "Шымкент", "Шымкент"),
        ("Semey", "Семей", "Семей"),
        ("Kokshetau", "Кокшетау", "Көкшетау"),
        ("Aktobe", "Актобе", "Ақтөбе"),
        ("Konaev", "Конаев", "Қонаев"),
        ("Atyrau", "Атырау", "Атырау"),
        ("Oral", "Уральск", "Орал"),
        ("Taraz", "Тараз", "Тараз"),
        ("Taldykorgan", "Талдыкорган", "Талдықорған"),
        ("Karaganda", "Караганда", "Қарағанды"),
        ("Kostanay", "Костанай", "Қостанай"),
        ("Kyzylorda", "Кызылорда", "Қызылорда"),
        ("Aktau", "Актау", "Ақтау"),
        ("Pavlodar", "Павлодар", "Павлодар"),
        ("Petropavl", "Петропавловск", "Петропавл"),
        ("Turkistan", "Туркестан", "Түркістан"),
        ("Zhezkazgan", "Жезказган", "Жезқазған"),
        ("Oskemen", "Усть-Каменогорск", "Өскемен"),
    )
}

# A reviewer's comment on a decision, in the language of the founder it is written to.
DECISION_COMMENTS: dict[str, dict[str, str]] = {
    "rejected": {
        "en": "The product overlaps an existing state service and the team has no technical founder yet.",
        "ru": "Продукт повторяет существующую государственную услугу, а технического сооснователя в команде пока нет.",
        "kk": "Өнім қазіргі мемлекеттік қызметті қайталайды, ал командада әзірге техникалық құрылтайшы жоқ.",
    },
    "changes_requested": {
        "en": "Please add revenue for the last three months and say who builds the product.",
        "ru": "Добавьте, пожалуйста, выручку за последние три месяца и укажите, кто разрабатывает продукт.",
        "kk": "Соңғы үш айдағы түсімді қосып, өнімді кім әзірлейтінін көрсетіңіз.",
    },
}

# An investor's message with an intro request, in the investor's language (the same four in each).
INTRO_MESSAGES: dict[str, tuple[str, ...]] = {
    "en": (
        "We back teams outside the big cities and your traction caught our eye. Could we talk next week?",
        "Your sector fits our mandate and the ask is within our ticket. I would like to learn more about the team.",
        "We co-invest with regional funds and would like to see your deck and numbers.",
        "Congratulations on the progress. We are raising interest for a regional programme and would like to meet.",
    ),
    "ru": (
        "Мы поддерживаем команды за пределами больших городов, и ваши результаты нас заинтересовали. "
        "Можем созвониться на следующей неделе?",
        "Ваша отрасль входит в наш мандат, а запрос — в пределах нашего чека. Хотел бы больше узнать о команде.",
        "Мы инвестируем вместе с региональными фондами и хотели бы посмотреть ваш питч-дек и цифры.",
        "Поздравляем с успехами. Мы собираем участников региональной программы и хотели бы встретиться.",
    ),
    "kk": (
        "Біз ірі қалалардан тыс командаларды қолдаймыз, сіздің нәтижелеріңіз бізді қызықтырды. "
        "Келесі аптада сөйлесе аламыз ба?",
        "Сіздің салаңыз біздің мандатқа сай, ал сұралатын сома біздің инвестиция көлемімізге сыяды. "
        "Команда туралы көбірек білгім келеді.",
        "Біз өңірлік қорлармен бірге инвестиция саламыз, питч-дегіңіз бен көрсеткіштеріңізді көргіміз келеді.",
        "Жетістіктеріңізбен құттықтаймыз. Өңірлік бағдарламаға қатысушыларды жинап жатырмыз, кездескіміз келеді.",
    ),
}

# A founder's answer to an intro request, in the founder's language.
REPLIES: dict[str, dict[str, str]] = {
    "en": {"accepted": "Happy to talk.", "declined": "Not the right time for us."},
    "ru": {"accepted": "С удовольствием поговорим.", "declined": "Сейчас для нас не лучшее время."},
    "kk": {"accepted": "Сөйлесуге қуаныштымыз.", "declined": "Қазір бізге қолайлы уақыт емес."},
}
