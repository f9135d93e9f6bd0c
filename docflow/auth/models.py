"""Users, the roles they hold at a venue or a body, and API tokens."""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id = db.Column(db.Integer, primary_key=True)
    login = db.Column(db.String(64), unique=True, nullable=False)
    full_name = db.Column(db.String(255), nullable=False, default="")
    email = db.Column(db.String(255), nullable=True)
    password_hash = db.Column(db.String(255), nullable=True)
    language = db.Column(db.String(5), nullable=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Account lockout (issue 10): failed sign-ins in a row, and until when sign-in is refused.
    failed_logins = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    locked_until = db.Column(db.DateTime, nullable=True)
    roles = db.relationship("RoleAssignment", back_populates="user", lazy="selectin",
                            cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def primary_role(self) -> str | None:
        return self.roles[0].role if self.roles else None

    @property
    def venue(self):
        return next((r.venue for r in self.roles if r.venue is not None), None)

    @property
    def body(self):
        return next((r.body for r in self.roles if r.body is not None), None)

    def __repr__(self) -> str:
        return f"<User {self.login}>"


class RoleAssignment(db.Model):
    """A global role held at a venue or a body (R2); cleared_restricted is R11's clearance."""

    __tablename__ = "role_assignment"
    __table_args__ = (db.UniqueConstraint("user_id", "role", "venue_id", "body_id",
                                          name="uq_role_assignment_scope"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    role = db.Column(db.String(32), nullable=False, index=True)
    venue_id = db.Column(db.ForeignKey("venue.id"), nullable=True, index=True)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=True, index=True)
    cleared_restricted = db.Column(db.Boolean, nullable=False, default=False)
    user = db.relationship("User", back_populates="roles")
    venue = db.relationship("Venue")
    body = db.relationship("Body")


class ApiToken(db.Model):
    """A bearer token for API v1. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(db.DateTime, nullable=True)
    revoked_at = db.Column(db.DateTime, nullable=True)
    user = db.relationship("User")

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User) -> tuple["ApiToken", str]:
        token = "dft_" + secrets.token_urlsafe(32)
        row = cls(user=user, token_hash=cls.digest(token))
        db.session.add(row)
        return row, token

    @classmethod
    def find_user(cls, token: str) -> User | None:
        # one statement: the token, its user and the user's roles (what every API call checks)
        row = db.session.execute(
            db.select(cls).where(cls.token_hash == cls.digest(token), cls.revoked_at.is_(None))
            .options(db.joinedload(cls.user).joinedload(User.roles))
        ).unique().scalar_one_or_none()
        if row is None or not row.user.is_active:
            return None
        now = utcnow()
        # Written at most every few minutes: every API call updating the same token row would
        # serialise all of one client's requests on that row's lock.
        if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
            row.last_used_at = now
        return row.user
