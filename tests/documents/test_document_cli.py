"""`flask portal keys init` and `flask portal verify-archive`."""

import pytest
from sqlalchemy import text

from portal.documents import services


@pytest.fixture
def run(app, db):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["portal", *args])

    return invoke


@pytest.fixture
def key_paths(app, tmp_path):
    """Point the configuration at an empty folder for the duration of a test."""
    names = ("PORTAL_SIGNING_KEY", "PORTAL_SIGNING_CERT", "PORTAL_TSA_KEY", "PORTAL_TSA_CERT")
    previous = {name: app.config[name] for name in names}
    key, cert = tmp_path / "instance" / "signing-key.pem", tmp_path / "instance" / "signing-cert.pem"
    app.config.update(
        PORTAL_SIGNING_KEY=str(key),
        PORTAL_SIGNING_CERT=str(cert),
        PORTAL_TSA_KEY=str(tmp_path / "instance" / "tsa-key.pem"),
        PORTAL_TSA_CERT=str(tmp_path / "instance" / "tsa-cert.pem"),
    )
    yield key, cert
    app.config.update(previous)


def test_keys_init_creates_a_private_key_pair(run, key_paths):
    key, cert = key_paths
    result = run("keys", "init")
    assert result.exit_code == 0, result.output
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert key.stat().st_mode & 0o777 == 0o600
    assert cert.stat().st_mode & 0o777 == 0o600
    assert str(key) in result.output


def test_keys_init_creates_the_local_development_tsa_when_no_tsa_url_is_set(run, key_paths, app):
    result = run("keys", "init")
    assert result.exit_code == 0, result.output
    from pathlib import Path

    tsa_cert = Path(app.config["PORTAL_TSA_CERT"])
    assert tsa_cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert Path(app.config["PORTAL_TSA_KEY"]).stat().st_mode & 0o777 == 0o600
    assert "timestamp authority" in result.output


def test_keys_tsa_adds_the_local_tsa_to_an_instance_that_has_signing_keys_already(run, key_paths, app):
    from pathlib import Path

    assert run("keys", "init").exit_code == 0
    Path(app.config["PORTAL_TSA_KEY"]).unlink()
    result = run("keys", "tsa")
    assert result.exit_code == 0, result.output
    assert Path(app.config["PORTAL_TSA_KEY"]).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_keys_init_refuses_to_overwrite(run, key_paths):
    key, cert = key_paths
    assert run("keys", "init").exit_code == 0
    before = key.read_bytes(), cert.read_bytes()
    result = run("keys", "init")
    assert result.exit_code != 0
    assert "already exists" in result.output and "--force" in result.output
    assert (key.read_bytes(), cert.read_bytes()) == before
    assert run("keys", "init", "--force").exit_code == 0
    assert key.read_bytes() != before[0]
    assert key.stat().st_mode & 0o777 == 0o600


def test_keys_init_refuses_if_only_one_file_exists(run, key_paths):
    key, cert = key_paths
    key.parent.mkdir(parents=True)
    key.write_text("a real key, do not lose")
    assert run("keys", "init").exit_code != 0
    assert key.read_text() == "a real key, do not lose"
    assert not cert.exists()


def test_verify_archive_on_an_intact_archive(run, app, db, sample_pdf):
    with app.app_context():
        for object_id in (1, 2):
            services.archive_pdf(
                None, kind="decision", object_type="Decision", object_id=object_id, pdf_bytes=sample_pdf
            )
        db.session.commit()
    result = run("verify-archive")
    assert result.exit_code == 0, result.output
    assert "archive intact: 2 documents, 2 entries" in result.output


def test_verify_archive_reports_the_first_broken_entry(run, app, db, sample_pdf):
    with app.app_context():
        for object_id in (1, 2, 3):
            services.archive_pdf(
                None, kind="decision", object_type="Decision", object_id=object_id, pdf_bytes=sample_pdf
            )
        db.session.commit()
    db.session.execute(text("DELETE FROM publication_log_entry WHERE sequence = 2"))
    db.session.commit()
    result = run("verify-archive")
    assert result.exit_code == 1
    assert "archive broken: entry 3: expected entry 2 here" in result.output
    assert "archive intact" not in result.output
