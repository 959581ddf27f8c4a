"""Static files as production sites serve them, by WhiteNoise in front of the app (no request
reaches Flask for them):

- every file is also served under a fingerprinted name, its content's hash in it
  (`css/portal.3f9c2a1b7e4d.css`), and `url_for('static', filename='css/portal.css')` gives that
  name: a browser or proxy keeps it for a year without asking again
  (`Cache-Control: max-age=31536000, public, immutable`), and a new release changes the name;
- the plain name still answers (a minute's caching), for anything that links it directly;
- gzip and Brotli copies made at set-up (`make static`, beside each file, ignored by git) are
  sent to browsers that accept them. A copy older than its file is removed at start, so an
  edited file is never served from a stale copy.

The fingerprints are computed once when the app is created (the static folder is small).
"""

import hashlib
import os
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

COMPRESSED = (".gz", ".br")
FINGERPRINT_LENGTH = 12


def fingerprinted_name(relative: str, content: bytes) -> str:
    """`css/portal.css` -> `css/portal.<hash>.css`."""
    folder, _, name = relative.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    digest = hashlib.sha256(content).hexdigest()[:FINGERPRINT_LENGTH]
    hashed = f"{stem}.{digest}.{suffix}" if suffix else f"{stem}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


# whitenoise.compress gives each copy its file's mtime through a float of seconds, which can land
# a little before the file's own nanoseconds: only a file changed later than that is newer.
MTIME_TOLERANCE_NS = 1_000_000


def _drop_stale_copies(path: Path) -> None:
    for extension in COMPRESSED:
        copy = path.with_name(path.name + extension)
        try:
            if copy.stat().st_mtime_ns + MTIME_TOLERANCE_NS < path.stat().st_mtime_ns:
                copy.unlink()
        except FileNotFoundError:
            pass


def fingerprints(root: Path) -> dict[str, str]:
    """{plain name: fingerprinted name} for every file under `root` (not the compressed copies)."""
    names = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in COMPRESSED or path.name.startswith("."):
            continue
        _drop_stale_copies(path)
        relative = path.relative_to(root).as_posix()
        names[relative] = fingerprinted_name(relative, path.read_bytes())
    return names


ONE_YEAR = "max-age=31536000, public, immutable"


def register(app: Flask) -> None:
    root = Path(app.static_folder)
    prefix = (app.static_url_path or "/static").rstrip("/") + "/"
    names = fingerprints(root)
    immutable = {prefix + hashed for hashed in names.values()}

    def headers_of_every_file(headers, path, url):
        headers["X-Content-Type-Options"] = "nosniff"
        if url in immutable:
            headers["Cache-Control"] = ONE_YEAR  # a year, as HTTP caches understand (WhiteNoise says ten)

    server = WhiteNoise(
        app.wsgi_app,
        root=str(root),
        prefix=prefix,
        max_age=60,
        add_headers_function=headers_of_every_file,
        immutable_file_test=lambda path, url: url in immutable,
    )
    for plain, hashed in names.items():
        server.add_file_to_dictionary(prefix + hashed, os.path.join(root, plain))
    app.wsgi_app = server
    app.extensions["static_fingerprints"] = names

    @app.url_defaults
    def _fingerprinted_static_names(endpoint, values):
        if endpoint == "static" and (hashed := names.get(values.get("filename", ""))):
            values["filename"] = hashed
