"""One web process of the portal, for the tests of limits shared between processes
(tests/accounts/test_shared_limits.py): `python -m tests.helpers.limits_server DATABASE_URL
STORAGE_URI KEY_PREFIX` serves on a free port of 127.0.0.1, prints the port, and serves until
it is stopped."""

import os
import sys

os.environ.setdefault("PORTAL_SECRET_KEY", "tests-only-secret-key")

from werkzeug.serving import make_server  # noqa: E402

from portal import create_app  # noqa: E402


def main(database_url: str, storage_uri: str, key_prefix: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PORTAL_PUBLIC_URL": "http://127.0.0.1",
            "REDIS_URL": storage_uri if storage_uri.startswith("redis") else "",
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": key_prefix} if storage_uri.startswith("redis") else {},
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    server = make_server("127.0.0.1", 0, app)
    print(server.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
