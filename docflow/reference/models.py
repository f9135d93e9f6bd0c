"""Reference data (R2, R2-1): competent bodies and their divisions, venues, officials.

Every record has a stable ``code`` that other systems use, and names in Kazakh and Russian.
"""
from datetime import time

from flask_babel import get_locale

from ..extensions import db


class Bilingual:
    """Names in the state language and in Russian; English falls back to Russian."""

    def name(self, locale: str | None = None) -> str:
        locale = locale or str(get_locale())
        return self.name_kk if locale == "kk" else self.name_ru


class Addressed:
    """A postal address in Kazakh and Russian; English falls back to Russian."""

    def address(self, locale: str | None = None) -> str:
        locale = locale or str(get_locale())
        return self.address_kk if locale == "kk" else self.address_ru


def active_column():
    """Retired records stay (appeals refer to them) but are no longer offered for new work."""
    return db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())


class Body(Bilingual, Addressed, db.Model):
    """A central state body or an akim office (local executive body).

    The requisites (BIN, contacts, address) are printed on the letterheads of its letters.
    """

    __tablename__ = "body"
    KINDS = ("central", "local")

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True, nullable=False)
    kind = db.Column(db.String(16), nullable=False, default="central")
    name_kk = db.Column(db.String(255), nullable=False)
    name_ru = db.Column(db.String(255), nullable=False)
    bin = db.Column(db.String(12), nullable=True)
    phone = db.Column(db.String(64), nullable=False, default="", server_default="")
    email = db.Column(db.String(255), nullable=False, default="", server_default="")
    website = db.Column(db.String(255), nullable=False, default="", server_default="")
    address_kk = db.Column(db.String(500), nullable=False, default="", server_default="")
    address_ru = db.Column(db.String(500), nullable=False, default="", server_default="")
    active = active_column()
    divisions = db.relationship("Division", back_populates="body", order_by="Division.code")

    def __repr__(self) -> str:
        return f"<Body {self.code}>"


class Division(Bilingual, db.Model):
    """A structural division of a body: material requests (R26, R31) are addressed to it."""

    __tablename__ = "division"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True, nullable=False)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False, index=True)
    name_kk = db.Column(db.String(255), nullable=False)
    name_ru = db.Column(db.String(255), nullable=False)
    active = active_column()
    body = db.relationship("Body", back_populates="divisions")


class Venue(Bilingual, Addressed, db.Model):
    """A citizen reception center (shared by many bodies) or a body's public reception room (R2)."""

    __tablename__ = "venue"
    KINDS = ("reception_center", "reception_room")

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True, nullable=False)
    kind = db.Column(db.String(20), nullable=False)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=True, index=True)  # rooms belong to one body
    name_kk = db.Column(db.String(255), nullable=False)
    name_ru = db.Column(db.String(255), nullable=False)
    address_kk = db.Column(db.String(500), nullable=False, default="")
    address_ru = db.Column(db.String(500), nullable=False, default="")
    timezone = db.Column(db.String(64), nullable=False, default="Asia/Almaty")
    opens = db.Column(db.Time, nullable=False, default=time(9, 0))
    closes = db.Column(db.Time, nullable=False, default=time(18, 30))
    lunch_start = db.Column(db.Time, nullable=False, default=time(13, 0))
    lunch_end = db.Column(db.Time, nullable=False, default=time(14, 30))
    active = active_column()
    body = db.relationship("Body")

class Official(db.Model):
    """A first head or deputy who receives citizens (R2); patronymic is optional (R8)."""

    __tablename__ = "official"
    RANKS = ("first_head", "deputy")

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True, nullable=False)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False, index=True)
    rank = db.Column(db.String(16), nullable=False)
    last_name_kk = db.Column(db.String(100), nullable=False)
    first_name_kk = db.Column(db.String(100), nullable=False)
    patronymic_kk = db.Column(db.String(100), nullable=True)
    last_name_ru = db.Column(db.String(100), nullable=False)
    first_name_ru = db.Column(db.String(100), nullable=False)
    patronymic_ru = db.Column(db.String(100), nullable=True)
    position_kk = db.Column(db.String(255), nullable=False)
    position_ru = db.Column(db.String(255), nullable=False)
    active = active_column()
    body = db.relationship("Body")

    def full_name(self, locale: str | None = None) -> str:
        lang = "kk" if (locale or str(get_locale())) == "kk" else "ru"
        parts = (getattr(self, f"last_name_{lang}"), getattr(self, f"first_name_{lang}"),
                 getattr(self, f"patronymic_{lang}"))
        return " ".join(p for p in parts if p)

    def position(self, locale: str | None = None) -> str:
        return self.position_kk if (locale or str(get_locale())) == "kk" else self.position_ru
