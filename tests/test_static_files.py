"""Static files: pages link fingerprinted names, which are cached for a year; the plain names
still answer; gzip and Brotli copies go to browsers that accept them."""

import re

from portal.static_files import fingerprinted_name


def fetch(client, path, **headers):
    """The whole answer, its file closed (a file answer left unread keeps its file open)."""
    response = client.get(path, headers=headers)
    response.get_data()
    response.close()
    return response


def linked_stylesheet(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)


def test_pages_link_the_fingerprinted_stylesheet(client, app):
    href = linked_stylesheet(client)

    assert re.fullmatch(r"/static/css/portal\.[0-9a-f]{12}\.css", href)
    assert href == "/static/" + app.extensions["static_fingerprints"]["css/portal.css"]


def test_a_fingerprinted_file_is_cached_for_a_year(client):
    response = fetch(client, linked_stylesheet(client))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert response.mimetype == "text/css"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_plain_name_still_answers_with_a_short_lifetime(client):
    response = fetch(client, "/static/css/portal.css")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=60, public"


def test_a_browser_that_accepts_brotli_gets_the_brotli_copy(client):
    href = linked_stylesheet(client)
    plain = fetch(client, href)

    compressed = fetch(client, href, **{"Accept-Encoding": "gzip, br"})

    assert compressed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert len(compressed.get_data()) < len(plain.get_data())


def test_a_browser_holding_the_file_gets_304(client):
    href = linked_stylesheet(client)
    first = fetch(client, href)

    again = fetch(client, href, **{"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304


def test_a_file_that_changes_gets_another_name():
    assert fingerprinted_name("css/portal.css", b"a") != fingerprinted_name("css/portal.css", b"b")
    assert fingerprinted_name("js/portal.js", b"a").startswith("js/portal.")
    assert fingerprinted_name("LICENSE", b"a").startswith("LICENSE.")


def test_an_unknown_static_file_is_not_found(client):
    assert fetch(client, "/static/css/nothing-here.css").status_code == 404


def test_a_copy_given_its_files_time_by_whitenoise_is_kept_and_one_older_than_an_edit_is_dropped(tmp_path):
    import os

    from portal.static_files import _drop_stale_copies

    source, copy = tmp_path / "portal.css", tmp_path / "portal.css.br"
    source.write_text("body {}")
    copy.write_bytes(b"compressed")
    stat = source.stat()
    os.utime(copy, (stat.st_atime, stat.st_mtime))  # what whitenoise.compress does: float seconds
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _drop_stale_copies(source)
    assert copy.exists()

    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))  # edited two seconds later
    _drop_stale_copies(source)
    assert not copy.exists()
