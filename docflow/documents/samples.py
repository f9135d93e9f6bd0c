"""Example contexts for every document kind, in Kazakh and Russian.

Used by the benchmark, the tests and demos: realistic names and places that use every Kazakh
letter (ә ғ қ ң ө ұ ү һ і), so a font without them shows up at once. Each function returns a
fresh dict, so a caller may change it freely.
"""
from datetime import date, datetime, timedelta, timezone

ALMATY = timezone(timedelta(hours=5))

LETTERHEAD = {
    "name_kk": "Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрлігі",
    "name_ru": "Министерство труда и социальной защиты населения Республики Казахстан",
    "address": "010000, Астана қ., Мәңгілік Ел даңғылы, 8, «Министрліктер үйі», 2-кіреберіс",
    "bin": "990840000125",
    "phone": "+7 7172 74-36-01",
    "email": "kense@enbek.gov.kz",
    "website": "www.gov.kz/memleket/entities/enbek",
}

APPLICANT = {
    "kk": {"name": "Шаһизада Ғалымқызы Әбілқасымова",
           "address": "Түркістан қ., Ұлы Дала даңғылы, 12-үй, 45-пәтер"},
    "ru": {"name": "Әбілқасымова Шаһизада Ғалымқызы",
           "address": "г. Туркестан, проспект Улы Дала, д. 12, кв. 45"},
}

OFFICIAL = {
    "kk": ("Өмірзақ Нұрланұлы Төлегенов", "Вице-министр"),
    "ru": ("Төлегенов Өмірзақ Нұрланұлы", "Вице-министр"),
}

PLACE = {
    "kk": "Астана қ., Азаматтарды қабылдау орталығы, Сығанақ көшесі, 10, 3-кабинет",
    "ru": "г. Астана, Центр приема граждан, ул. Сыганак, 10, кабинет 3",
}

SIGNATORY = {
    "kk": {"name": "Ұлан Баһадүрұлы Жаңбыршин", "position": "Қабылдау бөлмесінің меңгерушісі"},
    "ru": {"name": "Жаңбыршин Ұлан Баһадүрұлы", "position": "Заведующий приемной"},
}


def reply_letter(language: str = "kk", *, number: str = "ЕҢБ-2024-000123",
                 refusal: bool = False) -> dict:
    """A reply (R29) offering a reception slot, or refusing one."""
    official, position = OFFICIAL[language]
    context = {
        "issued_at": datetime(2024, 5, 6, 10, 15, tzinfo=ALMATY),
        "letterhead": dict(LETTERHEAD),
        "applicant": dict(APPLICANT[language]),
        "registration": {"number": number, "date": date(2024, 4, 22)},
        "decision": "refusal" if refusal else "slot",
        "verification_url": f"https://docflow.gov.kz/verify/{number}",
        "signatory": dict(SIGNATORY[language]),
    }
    if refusal:
        context["refusal_reason"] = {
            "kk": "Мәселе Түркістан облысы әкімдігінің құзыретіне жатады (R2-1).",
            "ru": "Вопрос относится к компетенции акимата Туркестанской области (R2-1).",
        }[language]
    else:
        context["reception"] = {"date": date(2024, 5, 17), "time": "11:30",
                                "place": PLACE[language], "official_name": official,
                                "official_position": position}
    return context


def reference_brief(language: str = "kk", *, refusal: bool = False, history_rows: int = 4) -> dict:
    """A reference brief (R26) to the head of the body."""
    letter = reply_letter(language, refusal=refusal)
    kk = language == "kk"
    events = [
        ("Тіркелді, жауапты қызметкерге жіберілді" if kk else
         "Зарегистрировано, передано ответственному работнику", "Іңкәр Сәрсенқызы"),
        ("Құрылымдық бөлімшеге материал сұралды" if kk else
         "Запрошены материалы у структурного подразделения", "Іңкәр Сәрсенқызы"),
        ("Материалдар алынды" if kk else "Материалы получены", "Әлеуметтік көмек департаменті"),
        ("Анықтамалық ақпарат дайындалды" if kk else "Подготовлена справочная информация",
         "Іңкәр Сәрсенқызы"),
    ]
    history = [{"date": date(2024, 4, 22) + timedelta(days=i),
                "event": events[i % len(events)][0], "actor": events[i % len(events)][1]}
               for i in range(history_rows)]
    context = {
        "issued_at": date(2024, 5, 3),
        "letterhead": letter["letterhead"],
        "addressee": {"name": "Сәкен Қуатұлы Үмбетов",
                      "position": "Министр" if kk else "Министр труда и социальной защиты"},
        "applicant": letter["applicant"],
        "registration": letter["registration"],
        "subject": ("Көпбалалы отбасына тұрғын үй көмегін тағайындау" if kk else
                    "Назначение жилищной помощи многодетной семье"),
        "summary": ("Арыз иесі Түркістан қаласында тұрғын үй көмегін алу үшін құжаттарды "
                    "қабылдаудан бас тартылғанын хабарлайды және өтінішті қайта қарауды сұрайды."
                    if kk else
                    "Заявитель сообщает об отказе в приеме документов на жилищную помощь в "
                    "городе Туркестан и просит пересмотреть заявление."),
        "history": history,
        "materials": [
            {"title": "Әлеуметтік көмек тағайындау туралы анықтама" if kk else
             "Справка о назначении социальной помощи",
             "source": "Әлеуметтік көмек департаменті" if kk else
             "Департамент социальной помощи", "received_on": date(2024, 4, 26)},
        ],
        "decision": letter["decision"],
        "prepared_by": {"name": "Іңкәр Сәрсенқызы Жұмабаева",
                        "position": "Бас сарапшы" if kk else "Главный эксперт"},
    }
    if refusal:
        context["refusal_reason"] = letter["refusal_reason"]
    else:
        context["reception"] = letter["reception"]
    return context


def schedule_poster(rows: int = 8) -> dict:
    """A month's schedule for a reception center (R7-1, R8), both languages on one sheet."""
    people = [
        ("Өмірзақ Нұрланұлы Төлегенов", "Төлегенов Өмірзақ Нұрланұлы", "Вице-министр",
         "Вице-министр"),
        ("Күләш Һадиқызы Шаһманова", "Шаһманова Күләш Һадиқызы", "Бірінші вице-министр",
         "Первый вице-министр"),
        ("Ғалым Серікұлы Әміров", "Әміров Ғалым Серікұлы", "Министр", "Министр"),
    ]
    lines = []
    for i in range(rows):
        kk, ru, pos_kk, pos_ru = people[i % len(people)]
        lines.append({
            "body_kk": LETTERHEAD["name_kk"], "body_ru": LETTERHEAD["name_ru"],
            "official_kk": kk, "official_ru": ru, "position_kk": pos_kk, "position_ru": pos_ru,
            "date": date(2024, 6, 3) + timedelta(days=7 * (i // 2) + 2 * (i % 2)),
            "time": "10:00–13:00" if i % 2 == 0 else "15:00–18:00",
            "venue_kk": "Астана қ., Сығанақ көшесі, 10, Азаматтарды қабылдау орталығы",
            "venue_ru": "г. Астана, ул. Сыганак, 10, Центр приема граждан",
        })
    return {
        "issued_at": date(2024, 5, 24),
        "letterhead": dict(LETTERHEAD),
        "year": 2024, "month": 6,
        "venue_kk": "Астана қаласының азаматтарды қабылдау орталығы",
        "venue_ru": "Центр приема граждан города Астаны",
        "approval": {"name_kk": "Ғалымжан Төреханұлы Қойшыбаев",
                     "name_ru": "Қойшыбаев Ғалымжан Төреханұлы",
                     "position_kk": "Қазақстан Республикасы Үкіметі Аппаратының Басшысы",
                     "position_ru": "Руководитель Аппарата Правительства Республики Казахстан",
                     "approved_on": date(2024, 5, 24)},
        "rows": lines,
    }


BAR_CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 120" width="300" height="120">'
    '<rect x="20" y="20" width="50" height="90" fill="#00a3c4"/>'
    '<rect x="90" y="50" width="50" height="60" fill="#f2c230"/>'
    '<rect x="160" y="70" width="50" height="40" fill="#7a9e3c"/>'
    '<line x1="10" y1="110" x2="290" y2="110" stroke="#333"/></svg>'
)


def quarterly_report(language: str = "kk") -> dict:
    """A quarterly report (R40) with figures and one chart."""
    kk = language == "kk"
    rows = [
        ("Тіркелген жолданымдар" if kk else "Зарегистрировано обращений", 412, 388),
        ("Жеке қабылдау өткізілді" if kk else "Проведено личных приемов", 296, 301),
        ("Бас тартылды" if kk else "Отказано", 37, 29),
        ("Кеңес берілді" if kk else "Дана консультация", 61, 44),
        ("Мерзімі өткен жауаптар" if kk else "Ответов с нарушением срока", 3, 5),
    ]
    return {
        "issued_at": date(2024, 7, 5),
        "letterhead": dict(LETTERHEAD),
        "year": 2024, "quarter": 2,
        "scope": ("Астана қаласының азаматтарды қабылдау орталығы" if kk else
                  "Центр приема граждан города Астаны"),
        "figures": [{"label": label, "value": value, "previous": previous}
                    for label, value, previous in rows],
        "charts": [{"title": "Жолданымдар, арналар бойынша" if kk else
                    "Обращения по каналам", "svg": BAR_CHART}],
        "prepared_by": dict(SIGNATORY[language]),
    }
