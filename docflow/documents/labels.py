"""Fixed wording of generated documents, per document language.

Documents are made in the *applicant's* language (R29), not in the language of whoever is
signed in, so these labels are deliberately kept out of flask-babel's catalogues: a template
receives ``L`` (the table for the document's language) and, on the bilingual schedule poster
(R8), both ``KK`` and ``RU``.
"""
from datetime import date, datetime

LANGUAGES = ("kk", "ru")

LABELS: dict[str, dict[str, str]] = {
    "kk": {
        "bin": "БСН",
        "phone": "Тел.",
        "email": "E-mail",
        "website": "Сайт",
        "to": "Кімге",
        "applicant": "Арыз иесі",
        "reg_number": "Тіркеу нөмірі",
        "reg_date": "Тіркелген күні",
        "reply_title": "Жеке қабылдауға жазылу туралы жолданымға жауап",
        "reply_intro": "Сіздің жеке қабылдауға жазылу туралы жолданымыңыз қаралды.",
        "reply_slot": "Сіз төмендегі күні мен уақытта жеке қабылдауға жазылдыңыз.",
        "reply_refusal": "Жеке қабылдауға жазылудан бас тартылды.",
        "reception_date": "Қабылдау күні",
        "reception_time": "Қабылдау уақыты",
        "place": "Өтетін орны",
        "official": "Қабылдайтын лауазымды тұлға",
        "position": "Лауазымы",
        "reason": "Бас тарту себебі",
        "bring_id": "Өзіңізбен бірге жеке басыңызды куәландыратын құжатты алып келіңіз.",
        "verify": "Құжаттың түпнұсқалығын QR-код арқылы тексеріңіз",
        "signature": "Қолы",
        "brief_title": "Анықтамалық ақпарат",
        "subject": "Жолданым мәні",
        "summary": "Қысқаша мазмұны",
        "history": "Жолданымның қаралу барысы",
        "date": "Күні",
        "event": "Әрекет",
        "actor": "Орындаушы",
        "materials": "Алынған материалдар",
        "material": "Материал",
        "source": "Жіберуші",
        "received_on": "Алынған күні",
        "none": "Жоқ",
        "proposal": "Ұсыныс",
        "proposal_slot": "Жеке қабылдау күнін белгілеу",
        "proposal_refusal": "Жеке қабылдаудан бас тарту",
        "prepared_by": "Дайындаған",
        "schedule_title": "Жеке қабылдау кестесі",
        "approved": "БЕКІТЕМІН",
        "no": "№",
        "body": "Мемлекеттік орган",
        "official_position": "Лауазымды тұлғаның аты-жөні, лауазымы",
        "time": "Уақыты",
        "venue": "Өтетін орны",
        "report_title": "Азаматтарды қабылдау жұмысының нәтижелері туралы есеп",
        "quarter": "тоқсан",
        "year": "жыл",
        "indicator": "Көрсеткіш",
        "value": "Мәні",
        "previous": "Өткен тоқсан",
        "charts": "Диаграммалар",
        "page": "бет",
    },
    "ru": {
        "bin": "БИН",
        "phone": "Тел.",
        "email": "E-mail",
        "website": "Сайт",
        "to": "Кому",
        "applicant": "Заявитель",
        "reg_number": "Регистрационный номер",
        "reg_date": "Дата регистрации",
        "reply_title": "Ответ на обращение о записи на личный прием",
        "reply_intro": "Ваше обращение о записи на личный прием рассмотрено.",
        "reply_slot": "Вы записаны на личный прием в указанные ниже дату и время.",
        "reply_refusal": "В записи на личный прием отказано.",
        "reception_date": "Дата приема",
        "reception_time": "Время приема",
        "place": "Место проведения",
        "official": "Принимающее должностное лицо",
        "position": "Должность",
        "reason": "Причина отказа",
        "bring_id": "При себе необходимо иметь документ, удостоверяющий личность.",
        "verify": "Подлинность документа можно проверить по QR-коду",
        "signature": "Подпись",
        "brief_title": "Справочная информация",
        "subject": "Суть обращения",
        "summary": "Краткое содержание",
        "history": "Ход рассмотрения обращения",
        "date": "Дата",
        "event": "Действие",
        "actor": "Исполнитель",
        "materials": "Полученные материалы",
        "material": "Материал",
        "source": "Отправитель",
        "received_on": "Дата получения",
        "none": "Нет",
        "proposal": "Предложение",
        "proposal_slot": "Назначить дату личного приема",
        "proposal_refusal": "Отказать в личном приеме",
        "prepared_by": "Подготовил(а)",
        "schedule_title": "График личного приема",
        "approved": "УТВЕРЖДАЮ",
        "no": "№ п/п",
        "body": "Государственный орган",
        "official_position": "Ф.И.О. и должность должностного лица",
        "time": "Время",
        "venue": "Место проведения",
        "report_title": "Отчет о результатах работы по приему граждан",
        "quarter": "квартал",
        "year": "год",
        "indicator": "Показатель",
        "value": "Значение",
        "previous": "Прошлый квартал",
        "charts": "Диаграммы",
        "page": "стр.",
    },
}

MONTHS = {
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
           "қыркүйек", "қазан", "қараша", "желтоқсан"),
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
           "сентябрь", "октябрь", "ноябрь", "декабрь"),
}


def labels(language: str) -> dict[str, str]:
    """The label table for a document language; an unknown language is a caller's bug."""
    if language not in LABELS:
        raise ValueError(f"documents are made in kk or ru, not {language!r}")
    return LABELS[language]


def month_name(language: str, month: int) -> str:
    return MONTHS[language][month - 1]


def format_date(value: date | datetime | str | None) -> str:
    """DD.MM.YYYY, the form official letters use in both languages; ISO strings accepted."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y")
