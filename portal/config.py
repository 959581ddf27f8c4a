"""Settings from the environment (and a `.env` file), with defaults for an embedded run.

With nothing set the portal runs on its own: SQLite in `instance/`, a secret key
generated once into `instance/`, rate limits counted in memory.
"""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _days(value: str) -> int:
    """A number of days as people write it: "3", "3 days", "1 day", "3d" (ASCII digits only)."""
    text = value.strip().lower()
    for unit in ("days", "day", "d"):
        if text.endswith(unit):
            text = text[: -len(unit)].strip()
            break
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"a number of days is expected, such as '3 days', not {value!r}")
    return int(text)


def _secret_key() -> str:
    """The configured key, else one generated once and kept in instance/ so sessions survive restarts."""
    if key := os.environ.get("PORTAL_SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load() -> dict:
    """Read the settings. Called by create_app; a test passes its own overrides on top."""
    load_dotenv(ROOT / ".env")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'portal.db'}"
    redis_url = os.environ.get("REDIS_URL", "")
    languages = [code.strip() for code in os.environ.get("PORTAL_LANGUAGES", "zh,en").split(",") if code.strip()]
    https = _flag("PORTAL_HTTPS")
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # SQLite (the embedded default) has one writer at a time: a request that writes waits this
        # long for the one before to finish (publishing, which renders and signs a PDF, takes
        # about a second); past that it answers 503, "try again". Well under the web server's
        # worker timeout (gunicorn's default is 30 s).
        "PORTAL_SQLITE_BUSY_SECONDS": float(os.environ.get("PORTAL_SQLITE_BUSY_SECONDS", 10)),
        "REDIS_URL": redis_url,
        "PORTAL_LANGUAGES": languages,
        "BABEL_DEFAULT_LOCALE": languages[0] if languages else "zh",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai"),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "portal" / "translations"),
        # The largest request accepted (a PDF sent to /verify is the largest there is); bigger is refused with 413.
        "MAX_CONTENT_LENGTH": int(os.environ.get("PORTAL_MAX_CONTENT_LENGTH", 16 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "PORTAL_HTTPS": https,
        # Behind a load balancer or reverse proxy: how many proxies set X-Forwarded-For/-Proto,
        # so that rate limits count the real client address. 0 when clients connect directly.
        "PORTAL_PROXY_COUNT": int(os.environ.get("PORTAL_PROXY_COUNT", 0)),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _flag("PORTAL_RATELIMIT", "1"),
        # A prefix for the limits' keys in Redis, for deployments (or test runs) sharing one Redis.
        "RATELIMIT_KEY_PREFIX": os.environ.get("PORTAL_RATELIMIT_KEY_PREFIX", ""),
        # Redis unreachable: count in this process's memory meanwhile (logged, and said by /healthz),
        # never a 500 on logging in or posting; Flask-Limiter goes back to Redis once it answers.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "PORTAL_LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("PORTAL_LOGIN_LIMIT_PER_ACCOUNT", "5 per minute"),
        "PORTAL_LOGIN_LIMIT_PER_IP": os.environ.get("PORTAL_LOGIN_LIMIT_PER_IP", "20 per minute"),
        # Registration attempts per client address, every attempt counted (a school's shared
        # network may register a few dozen parents an hour); the registration form's inline
        # email check (htmx) per client address.
        "PORTAL_REGISTER_LIMIT_PER_IP": os.environ.get("PORTAL_REGISTER_LIMIT_PER_IP", "30 per hour"),
        "PORTAL_EMAIL_CHECK_LIMIT_PER_IP": os.environ.get("PORTAL_EMAIL_CHECK_LIMIT_PER_IP", "60 per hour"),
        # Mails with a link (to register, to reset a password) one address may be sent, whoever asks.
        "PORTAL_VERIFY_MAIL_LIMIT_PER_EMAIL": os.environ.get("PORTAL_VERIFY_MAIL_LIMIT_PER_EMAIL", "3 per hour"),
        "PORTAL_RESET_MAIL_LIMIT_PER_EMAIL": os.environ.get("PORTAL_RESET_MAIL_LIMIT_PER_EMAIL", "3 per hour"),
        "PORTAL_RESET_LIMIT_PER_IP": os.environ.get("PORTAL_RESET_LIMIT_PER_IP", "30 per hour"),
        # Guesses of the current password when changing it, per account: then locked for a while.
        "PORTAL_PASSWORD_CHECK_LIMIT_PER_ACCOUNT": os.environ.get(
            "PORTAL_PASSWORD_CHECK_LIMIT_PER_ACCOUNT", "5 per 15 minutes"
        ),
        # Feedback sent: enough for a busy parent, too few to flood a school's inbox from one account.
        # Feedback left unanswered this many working days goes to the school's responsible supervisor.
        "PORTAL_FEEDBACK_ESCALATE_DAYS": int(os.environ.get("PORTAL_FEEDBACK_ESCALATE_DAYS", 15)),
        "PORTAL_FEEDBACK_LIMIT_PER_ACCOUNT": os.environ.get(
            "PORTAL_FEEDBACK_LIMIT_PER_ACCOUNT", "10 per hour;30 per day"
        ),
        # Responses saved (a person who edits theirs a few times, too few to hammer the database),
        # the comment counter's checks while typing, and reports: per account.
        "PORTAL_RESPONSE_LIMIT_PER_ACCOUNT": os.environ.get("PORTAL_RESPONSE_LIMIT_PER_ACCOUNT", "30 per hour"),
        "PORTAL_RESPONSE_CHECK_LIMIT_PER_ACCOUNT": os.environ.get(
            "PORTAL_RESPONSE_CHECK_LIMIT_PER_ACCOUNT", "600 per hour"
        ),
        "PORTAL_REPORT_LIMIT_PER_ACCOUNT": os.environ.get("PORTAL_REPORT_LIMIT_PER_ACCOUNT", "20 per hour;50 per day"),
        # Searches by visitors who are not logged in, per client address (a school's shared network
        # holds many parents: generous, but a scraper is slowed down). Logged-in people are not limited.
        "PORTAL_SEARCH_LIMIT_PER_IP": os.environ.get("PORTAL_SEARCH_LIMIT_PER_IP", "60 per minute;600 per hour"),
        # The portal's public address: every absolute link (feeds, calendars, exports, mails, the
        # PDFs' "verify at") is made from it, never from the Host a request came with, and a request
        # for another host is refused with 400 (TRUSTED_HOSTS, set from it in create_app).
        "PORTAL_PUBLIC_URL": os.environ.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:5000"),
        # Other names the web processes answer to (comma-separated), such as the address a load
        # balancer's health check uses; ".example.org" allows every subdomain.
        "PORTAL_TRUSTED_HOSTS": [
            name.strip() for name in os.environ.get("PORTAL_TRUSTED_HOSTS", "").split(",") if name.strip()
        ],
        # How many web processes serve (gunicorn's --workers; portal/gunicorn_conf.py reads it). More than
        # one needs REDIS_URL, or each would count rate limits apart: the portal refuses to start.
        "PORTAL_WORKERS": int(os.environ.get("PORTAL_WORKERS") or os.environ.get("WEB_CONCURRENCY") or 1),
        # PostgreSQL cancels a web request's statement after this long (0: never); the request then
        # answers 503. Jobs and commands have no such limit.
        "PORTAL_STATEMENT_TIMEOUT_MS": int(os.environ.get("PORTAL_STATEMENT_TIMEOUT_MS", 5000)),
        # A request that takes longer than this is logged with its path and duration.
        "PORTAL_SLOW_REQUEST_MS": int(os.environ.get("PORTAL_SLOW_REQUEST_MS", 1000)),
        # Reading a PDF sent to /verify that the portal did not publish (portal/documents/checking.py):
        # at most this many at once per machine, each in a child process with these limits.
        "PORTAL_VERIFY_PARSES": int(os.environ.get("PORTAL_VERIFY_PARSES", 2)),
        "PORTAL_VERIFY_CPU_SECONDS": int(os.environ.get("PORTAL_VERIFY_CPU_SECONDS", 2)),
        "PORTAL_VERIFY_MEMORY_MB": int(os.environ.get("PORTAL_VERIFY_MEMORY_MB", 1024)),
        "PORTAL_VERIFY_SECONDS": float(os.environ.get("PORTAL_VERIFY_SECONDS", 3)),
        # Start the fork server of the parser's children when the application is made (gunicorn's
        # workers and `flask run` always do; this asks for it in any other process).
        "PORTAL_START_FORK_SERVER": os.environ.get("PORTAL_START_FORK_SERVER", "0").strip().lower()
        in {"1", "true", "yes", "on"},
        # Where the slots' lock files are: one folder for every web process of the machine.
        "PORTAL_VERIFY_SLOT_DIR": os.environ.get("PORTAL_VERIFY_SLOT_DIR", str(INSTANCE / "verify-slots")),
        # PDFs are written by a child process of the web process or job worker that asks for them,
        # replaced after this many documents so that memory stays flat (0: in the process itself).
        "PORTAL_RENDERS_PER_PROCESS": int(os.environ.get("PORTAL_RENDERS_PER_PROCESS", 20)),
        # …and stopped after this many seconds without a render (0: kept until it is replaced).
        "PORTAL_RENDER_IDLE_SECONDS": float(os.environ.get("PORTAL_RENDER_IDLE_SECONDS", 120)),
        # Mail: a real SMTP server (smtp://user:password@host:587?starttls=1, or smtps://...:465);
        # with none, each message is written as an .eml file into the outbox folder.
        "PORTAL_SMTP_URL": os.environ.get("PORTAL_SMTP_URL", ""),
        "PORTAL_MAIL_FROM": os.environ.get("PORTAL_MAIL_FROM", "重庆市学校治理公共平台 <noreply@portal.invalid>"),
        "PORTAL_OUTBOX_DIR": os.environ.get("PORTAL_OUTBOX_DIR", str(INSTANCE / "outbox")),
        "PORTAL_EXPORTS_DIR": os.environ.get("PORTAL_EXPORTS_DIR", str(INSTANCE / "exports")),
        # Where people write about their personal data (the privacy notice names it).
        "PORTAL_PRIVACY_CONTACT": os.environ.get("PORTAL_PRIVACY_CONTACT", "privacy@portal.invalid"),
        "PORTAL_INVITATION_DAYS": int(os.environ.get("PORTAL_INVITATION_DAYS", 30)),
        # A consultation closed this many days ago without an outcome is marked "outcome overdue".
        "PORTAL_OUTCOME_DAYS": int(os.environ.get("PORTAL_OUTCOME_DAYS", 30)),
        # Open reports that hide a published response until a moderator decides.
        "PORTAL_REPORT_THRESHOLD": int(os.environ.get("PORTAL_REPORT_THRESHOLD", 3)),
        # Only reports from accounts at least this old (or of verified parents and staff) count
        # toward that threshold: a burst of new accounts cannot silence anyone. Days ("3 days", "3").
        "PORTAL_REPORT_MIN_ACCOUNT_AGE": _days(os.environ.get("PORTAL_REPORT_MIN_ACCOUNT_AGE", "3 days")),
        # The key and certificate (PEM files) that sign every published PDF. `flask portal keys init`
        # creates a self-signed development pair at these default paths.
        "PORTAL_SIGNING_KEY": os.environ.get("PORTAL_SIGNING_KEY", str(INSTANCE / "signing-key.pem")),
        "PORTAL_SIGNING_CERT": os.environ.get("PORTAL_SIGNING_CERT", str(INSTANCE / "signing-cert.pem")),
        # The transparency log's Ed25519 key (not the PDF key): a file holding the note-format
        # private key `PRIVATE+KEY+<name>+<id>+<base64>`, or that text itself. `flask portal log-key init`.
        "PORTAL_LOG_KEY": os.environ.get("PORTAL_LOG_KEY", str(INSTANCE / "log-key.txt")),
        # Where `flask portal seed-demo` keeps its demo witness's state (a witness's --state DIR).
        "PORTAL_DEMO_WITNESS_DIR": os.environ.get("PORTAL_DEMO_WITNESS_DIR", str(INSTANCE / "demo-witness")),
        # Witnesses whose cosignatures the log keeps and shows: note verifier keys (type 0x04), comma-separated.
        "PORTAL_WITNESS_KEYS": [
            key.strip() for key in os.environ.get("PORTAL_WITNESS_KEYS", "").split(",") if key.strip()
        ],
        # The CA certificates (one PEM file) above a CA-issued signing certificate: with them, and a
        # certificate that names its CRL or OCSP responder, signatures embed validation data (B-LT).
        "PORTAL_SIGNING_CHAIN": os.environ.get("PORTAL_SIGNING_CHAIN", ""),
        # The RFC 3161 timestamp authority every signature is timestamped by (PAdES B-T). Unset: the
        # local development TSA, whose key and certificate `flask portal keys init` creates here.
        "PORTAL_TSA_URL": os.environ.get("PORTAL_TSA_URL", ""),
        "PORTAL_TSA_TIMEOUT": float(os.environ.get("PORTAL_TSA_TIMEOUT", 10)),
        "PORTAL_TSA_KEY": os.environ.get("PORTAL_TSA_KEY", str(INSTANCE / "tsa-key.pem")),
        "PORTAL_TSA_CERT": os.environ.get("PORTAL_TSA_CERT", str(INSTANCE / "tsa-cert.pem")),
        # The page cache for visitors (portal/page_cache.py): on unless PORTAL_PAGE_CACHE=0. Kept in
        # Redis with REDIS_URL (shared by every process), else in each process's memory (at most
        # PORTAL_PAGE_CACHE_ENTRIES pages) with its version in a file the job worker bumps too. An
        # entry lives at most PORTAL_PAGE_CACHE_SECONDS, and never past the next change by the clock.
        "PORTAL_PAGE_CACHE": _flag("PORTAL_PAGE_CACHE", "1"),
        "PORTAL_PAGE_CACHE_SECONDS": int(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", 300)),
        "PORTAL_PAGE_CACHE_ENTRIES": int(os.environ.get("PORTAL_PAGE_CACHE_ENTRIES", 2000)),
        # In Redis, at most this many pages whose address has a query string are kept in each
        # PORTAL_PAGE_CACHE_SECONDS (made-up query strings must not fill the Redis the jobs use).
        "PORTAL_PAGE_CACHE_QUERY_PAGES": int(os.environ.get("PORTAL_PAGE_CACHE_QUERY_PAGES", 2000)),
        "PORTAL_PAGE_CACHE_VERSION_FILE": os.environ.get(
            "PORTAL_PAGE_CACHE_VERSION_FILE", str(INSTANCE / "page-cache-version")
        ),
        "PORTAL_PAGE_CACHE_PREFIX": os.environ.get("PORTAL_PAGE_CACHE_PREFIX", "portal:page-cache"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: a parent may take an hour to write
    }
