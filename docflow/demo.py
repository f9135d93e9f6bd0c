"""Demo data for `make run`: a few bodies with divisions, a citizen reception center, a public
reception room, officials, and one user per role. Loading twice changes nothing."""
from datetime import time

from .auth.models import User
from .auth.operations import create_user
from .auth.roles import HELD_AT_BODY, ROLES
from .extensions import db
from .reference.models import Body, Division, Official, Venue

BODIES = [
    ("MLSPP", "central", "Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрлігі",
     "Министерство труда и социальной защиты населения Республики Казахстан",
     [("MLSPP-EMP", "Жұмыспен қамту департаменті", "Департамент занятости"),
      ("MLSPP-SOC", "Әлеуметтік көмек департаменті", "Департамент социальной помощи")]),
    ("MZ", "central", "Қазақстан Республикасы Денсаулық сақтау министрлігі",
     "Министерство здравоохранения Республики Казахстан",
     [("MZ-MED", "Медициналық көмекті ұйымдастыру департаменті",
       "Департамент организации медицинской помощи")]),
    ("AKIMAT-AST", "local", "Астана қаласының әкімдігі", "Акимат города Астаны",
     [("AKIMAT-AST-HOUS", "Тұрғын үй басқармасы", "Управление жилья")]),
]

VENUES = [
    ("CRC-AST", "reception_center", None, "Астана қаласының азаматтарды қабылдау орталығы",
     "Центр приема граждан города Астаны", "Астана қ., Мәңгілік Ел даңғылы, 8",
     "г. Астана, проспект Мангилик Ел, 8"),
    ("RR-MLSPP", "reception_room", "MLSPP", "Еңбек министрлігінің қоғамдық қабылдау бөлмесі",
     "Общественная приемная Министерства труда", "Астана қ., Мәңгілік Ел даңғылы, 8, 1-кіреберіс",
     "г. Астана, проспект Мангилик Ел, 8, подъезд 1"),
]

OFFICIALS = [
    ("MLSPP-MIN", "MLSPP", "first_head", ("Әбілқасымова", "Әйгерім", "Нұрланқызы"),
     ("Абылкасымова", "Айгерим", "Нурлановна"), "Министр", "Министр"),
    ("MLSPP-DEP1", "MLSPP", "deputy", ("Сейітов", "Ерғали", None), ("Сеитов", "Ергали", None),
     "Вице-министр", "Вице-министр"),
    ("MZ-MIN", "MZ", "first_head", ("Құдайбергенов", "Өмірзақ", "Ғалымұлы"),
     ("Кудайбергенов", "Омирзак", "Галымович"), "Министр", "Министр"),
    ("AKIMAT-AST-AKIM", "AKIMAT-AST", "first_head", ("Үсенов", "Іляс", "Һадиұлы"),
     ("Усенов", "Ильяс", "Хадиевич"), "Әкім", "Аким"),
]

DEMO_PASSWORD = "demo-pass-2026"


def _get_or_create(model, code: str, **values):
    row = db.session.execute(db.select(model).where(model.code == code)).scalar()
    if row is None:
        row = model(code=code, **values)
        db.session.add(row)
        db.session.flush()
    return row


def load_demo() -> list[tuple[str, str, str]]:
    bodies = {}
    for code, kind, name_kk, name_ru, divisions in BODIES:
        bodies[code] = _get_or_create(Body, code, kind=kind, name_kk=name_kk, name_ru=name_ru)
        for dcode, dkk, dru in divisions:
            _get_or_create(Division, dcode, body=bodies[code], name_kk=dkk, name_ru=dru)
    for code, kind, body, name_kk, name_ru, addr_kk, addr_ru in VENUES:
        _get_or_create(Venue, code, kind=kind, body=bodies.get(body), name_kk=name_kk,
                       name_ru=name_ru, address_kk=addr_kk, address_ru=addr_ru,
                       timezone="Asia/Almaty", opens=time(9), closes=time(18, 30),
                       lunch_start=time(13), lunch_end=time(14, 30))
    for code, body, rank, kk, ru, pos_kk, pos_ru in OFFICIALS:
        _get_or_create(Official, code, body=bodies[body], rank=rank,
                       last_name_kk=kk[0], first_name_kk=kk[1], patronymic_kk=kk[2],
                       last_name_ru=ru[0], first_name_ru=ru[1], patronymic_ru=ru[2],
                       position_kk=pos_kk, position_ru=pos_ru)
    users = []
    for role in ROLES:
        login = f"demo-{role.replace('_', '-')}"
        users.append((login, DEMO_PASSWORD, role))
        if db.session.execute(db.select(User.id).where(User.login == login)).first():
            continue
        at_body = role in HELD_AT_BODY
        create_user(login, role, password=DEMO_PASSWORD,
                    venue_code=None if at_body or role in ("admin", "integration",
                                                           "government_office") else "CRC-AST",
                    body_code="MLSPP" if at_body else None,
                    cleared_restricted=role in ("registrar", "call_center"),
                    full_name=f"Demo {role}")
    db.session.commit()
    return users
