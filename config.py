"""docflow configuration: one class per mode, every value overridable by environment variables.

The mode is chosen by ``DOCFLOW_ENV`` (contract): unset or ``embedded`` gives the embedded default
(SQLite in WAL mode and files under ``instance/``, jobs run by a worker thread inside the app, no
Redis); ``production`` reads ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL`` and ``BLOB_STORE``.
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("DOCFLOW_INSTANCE", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def database_url(url: str) -> str:
    """Normalise a PostgreSQL URL to the psycopg 3 driver (``postgresql+psycopg://``)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    DOCFLOW_ENV = "embedded"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'docflow.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # API bearer tokens: a checked token is trusted this long (a revocation takes effect within it)
    API_TOKEN_CACHE_SECONDS = 1.0
    BLOB_STORE = os.environ.get("BLOB_STORE", str(INSTANCE_DIR / "blobs"))
    # Jobs: "embedded" runs them from the database outbox in a thread of the app process;
    # "rq" dispatches them to Redis for `rq worker` processes.
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "embedded")
    REDIS_URL = os.environ.get("REDIS_URL")
    JOBS_LEASE_SECONDS = int(os.environ.get("JOBS_LEASE_SECONDS", 900))
    JOBS_START_WORKER = False  # `flask serve` starts it; tests and commands do not
    BABEL_DEFAULT_LOCALE = "kk"
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("kk", "ru", "en")
    VENUE_TIMEZONE = "Asia/Almaty"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024))
    TESTING = False
    PASSWORD_HASH_METHOD = "scrypt"
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_FROM = os.environ.get("MAIL_FROM", "docflow@localhost")
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")
    # Hardening (issue 10): cookies, idle sign-out, sign-in throttling and lockout, headers.
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 30))
    # Sign-in attempts on one login from one address, and from one address whatever the login
    # (an office behind one NAT address signs many employees in at once): docflow/auth/limits.py
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute; 200 per hour")
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT",
                                              "100 per minute; 1000 per hour")
    LOGIN_LOCKOUT_ATTEMPTS = int(os.environ.get("LOGIN_LOCKOUT_ATTEMPTS", 5))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 15))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Reverse proxies in front of docflow whose X-Forwarded-For/-Proto are trusted (0: none);
    # without it every client would share the proxy's address and its sign-in limit.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class EmbeddedConfig(Config):
    """What `make run` gives on a fresh machine."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "embedded-only-not-for-production"


class ProductionConfig(Config):
    DOCFLOW_ENV = "production"
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "rq")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEBUG = False
    # Sign-in counters shared by every web process; a Redis outage falls back to memory.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get(
        "REDIS_URL", "memory://")
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10, "max_overflow": 10}
    # A pooled connection idle longer than this is pinged before use (docflow/dbping.py);
    # pool_pre_ping pinged on every checkout: one more round trip per request.
    DATABASE_PING_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_IDLE_SECONDS", 10))
    # A request that wrote nothing ends with COMMIT, so that psycopg keeps the statements it
    # prepared on the connection (docflow/dbprepared.py); 0 ends every request with ROLLBACK.
    DATABASE_KEEP_PREPARED = os.environ.get("DATABASE_KEEP_PREPARED", "1") != "0"

    @classmethod
    def check(cls) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
                   if not os.environ.get(name)]
        if missing:
            raise ConfigError(
                "DOCFLOW_ENV=production needs the environment variable(s) "
                + ", ".join(missing)
                + " (see README.md, 'Production'). Refusing to start."
            )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing for tests only
    # Tests read English unless they ask for a language; the state-language default of the real
    # configuration (kk) is pinned by its own test.
    BABEL_DEFAULT_LOCALE = "en"
    # Suites share one app (and one limiter) across many sign-ins from 127.0.0.1; the tests of
    # the limit itself set their own (tests/security).
    LOGIN_RATE_LIMIT = "1000 per minute"
    LOGIN_ADDRESS_RATE_LIMIT = "1000 per minute"
    # API bearer tokens are checked on every call in tests (tests/api test the 1 s cache itself).
    API_TOKEN_CACHE_SECONDS = 0


def config_for_env() -> type[Config]:
    env = os.environ.get("DOCFLOW_ENV", "embedded").strip().lower()
    if env == "production":
        ProductionConfig.check()
        return ProductionConfig
    if env in ("", "embedded", "development"):
        return EmbeddedConfig
    raise ConfigError(f"DOCFLOW_ENV={env!r} is not a known mode: use 'embedded' or 'production'.")
