"""The portal on a SQLite file of its own (as `make run` uses), for tests whose requests really
commit from several threads or hold SQLite's lock: their rows never reach the suite's database,
and nothing needs removing afterwards."""

import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade

from portal import create_app
from portal.documents import signing
from portal.extensions import db
from portal.transparency.services import generate_log_key

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def portal_on_own_sqlite(**config):
    """An application on a fresh, migrated SQLite file; yields (app, path of the file)."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        key, cert = signing.generate_development_keys(tmp / "key.pem", tmp / "cert.pem")
        database = tmp / "portal.db"
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "SERVER_NAME": "portal.test",
                "PORTAL_PUBLIC_URL": "https://portal.test",
                "PORTAL_SIGNING_KEY": str(key),
                "PORTAL_SIGNING_CERT": str(cert),
                "PORTAL_LOG_KEY": str(generate_log_key(tmp / "log-key.txt", "portal.test/log")),
                "PORTAL_DEMO_WITNESS_DIR": str(tmp / "demo-witness"),
                "PORTAL_OUTBOX_DIR": str(tmp / "outbox"),
                "PORTAL_SMTP_URL": "",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "memory://",
                **config,
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.session.remove()
        try:
            yield app, database
        finally:
            with app.app_context():
                db.engine.dispose()
