"""`flask portal ...`: demo data and first accounts."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.accounts import services as account_services
from portal.accounts.models import PASSWORD_MIN, Role, User
from portal.charters.demo import seed_charter
from portal.consultations.demo import DISTRICT_TITLE, seed_consultations, seed_district_consultation
from portal.decisions.demo import seed_decisions
from portal.disclosure.demo import seed_disclosures
from portal.extensions import db
from portal.feedback.demo import seed_feedback
from portal.meetings.demo import seed_meetings
from portal.moderation.demo import seed_moderation
from portal.notifications.demo import seed_notifications
from portal.schools import services as school_services
from portal.schools.models import Authority, School, SchoolType
from portal.supervision.demo import seed_supervision

portal_cli = AppGroup("portal", help="Portal administration: demo data, accounts.")

DEMO_PASSWORD = "demo-pass-2035"

CITY = ("重庆市教育委员会", "Chongqing Municipal Education Commission")
DISTRICTS = [
    ("渝中区教育委员会", "Yuzhong District Education Commission"),
    ("沙坪坝区教育委员会", "Shapingba District Education Commission"),
]
SCHOOLS = [
    # district index, slug, Chinese name, English name, type, address
    (
        0,
        "jiefang-road-primary",
        "重庆市渝中区解放路小学",
        "Jiefang Road Primary School, Yuzhong",
        SchoolType.PRIMARY,
        "重庆市渝中区解放东路 118 号",
    ),
    (
        0,
        "pipashan-middle",
        "重庆市渝中区枇杷山初级中学",
        "Pipashan Junior Middle School, Yuzhong",
        SchoolType.JUNIOR,
        "重庆市渝中区枇杷山正街 36 号",
    ),
    (
        1,
        "ciqikou-primary",
        "重庆市沙坪坝区磁器口小学",
        "Ciqikou Primary School, Shapingba",
        SchoolType.PRIMARY,
        "重庆市沙坪坝区磁器口正街 20 号",
    ),
    (
        1,
        "jialingjiang-senior",
        "重庆市沙坪坝区嘉陵江高级中学",
        "Jialingjiang Senior High School, Shapingba",
        SchoolType.SENIOR,
        "重庆市沙坪坝区汉渝路 65 号",
    ),
]
SCHOOL_PROFILES = {
    "jiefang-road-primary": {
        "decision_prefix": "渝解小校委",
        "phone": "023-6380 1234",
        "email": "office@jiefang-primary.example.org",
        "description": (
            "始建于1950年的公办小学，现有24个教学班、学生约1100人。学校坚持“五育并举”，以校园足球和川剧进校园为特色。"
        ),
    },
    "pipashan-middle": {
        "decision_prefix": "渝枇中校委",
        "phone": "023-6361 5678",
        "email": "office@pipashan-middle.example.org",
        "description": "渝中区公办初级中学，现有18个教学班。学校重视阅读与科技创新教育，设有家长学校和社区实践基地。",
    },
    "ciqikou-primary": {
        "decision_prefix": "沙磁小校委",
        "phone": "023-6531 2468",
        "email": "office@ciqikou-primary.example.org",
        "description": "位于磁器口古镇旁的公办小学，以巴渝传统文化课程和劳动教育见长。",
    },
    "jialingjiang-senior": {
        "decision_prefix": "沙嘉高校委",
        "phone": "023-6532 1357",
        "email": "office@jialingjiang-senior.example.org",
        "description": "沙坪坝区公办普通高中，开设选课走班和生涯规划指导，与本地高校共建实验室。",
    },
}

# email, display name, role, scope: "city", a district index, or a school slug
DEMO_ACCOUNTS = [
    ("admin@example.org", "市教委管理员 王敏", Role.COMMISSION_ADMIN, "city"),
    ("moderator@example.org", "渝中区审核员 李娜", Role.MODERATOR, 0),
    ("schooladmin@example.org", "解放路小学管理员 陈静", Role.SCHOOL_ADMIN, "jiefang-road-primary"),
    ("board@example.org", "校务委员 刘洋", Role.BOARD_MEMBER, "jiefang-road-primary"),
    ("parent@example.org", "家长 张伟", Role.PARENT, "jiefang-road-primary"),
]

SUPERVISOR_ACCOUNT = ("supervisor@example.org", "责任督学 周敏")


def _authority(name_zh, name_en, parent=None) -> Authority:
    existing = db.session.scalar(select(Authority).where(Authority.name_zh == name_zh))
    return existing or school_services.create_authority(None, name_zh=name_zh, name_en=name_en, parent=parent)


def _user(email, display_name, password) -> User:
    existing = account_services.find_user_by_email(email)
    return existing or account_services.register_user(
        email=email, display_name=display_name, password=password, language=None
    )


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo authorities, schools and accounts; safe to run again (it adds what is missing)."""
    city = _authority(*CITY)
    districts = [_authority(zh, en, parent=city) for zh, en in DISTRICTS]
    schools = {}
    for district, slug, name_zh, name_en, school_type, address in SCHOOLS:
        school = db.session.scalar(select(School).where(School.slug == slug))
        schools[slug] = school or school_services.create_school(
            None, districts[district], slug=slug, name_zh=name_zh, name_en=name_en, type=school_type, address=address
        )
    first_slug = SCHOOLS[0][1]
    for slug, school in schools.items():
        profile = SCHOOL_PROFILES.get(slug, {})
        if not school.phone:
            school_services.update_school_profile(None, school, profile)
        elif not school.decision_prefix and profile.get("decision_prefix"):  # seeded before decisions had numbers
            school_services.update_school_profile(None, school, {"decision_prefix": profile["decision_prefix"]})
        seed_charter(school)
        seed_meetings(school)
        # Publishing signs PDFs: the signing key must exist (`flask portal keys init`, which `make run` does first).
        seed_decisions(school, full_history=slug == first_slug)
    accounts, people = [], {}
    for email, display_name, role, scope_key in DEMO_ACCOUNTS:
        user = people[email] = _user(email, display_name, DEMO_PASSWORD)
        scope = (
            city if scope_key == "city" else districts[scope_key] if isinstance(scope_key, int) else schools[scope_key]
        )
        account_services.grant_membership(None, user, role, scope)
        accounts.append((email, role.value, scope.name_zh))
    # Sent by the demo accounts (and a few more demo parents); the first school gets a full inbox.
    seed_feedback(list(schools.values()), people, password=DEMO_PASSWORD)
    for slug, school in schools.items():  # answered by the demo accounts and demo residents
        seed_consultations(school, people, password=DEMO_PASSWORD, full_history=slug == first_slug)
    seed_district_consultation(districts[0], people, password=DEMO_PASSWORD)
    seed_moderation(schools, people, password=DEMO_PASSWORD)  # the moderation queue: after the consultations
    seed_disclosures(list(schools.values()), people["schooladmin@example.org"])
    # The responsible supervisor of the two 渝中区 schools (after the feedback they take up).
    supervisor = _user(*SUPERVISOR_ACCOUNT, DEMO_PASSWORD)
    yuzhong = [school for school in schools.values() if school.authority_id == districts[0].id]
    seed_supervision(yuzhong, supervisor, people["parent@example.org"])
    accounts.append((SUPERVISOR_ACCOUNT[0], Role.SUPERVISOR.value, "、".join(school.name_zh for school in yuzhong)))
    seed_notifications(schools, people, district_consultation_title=DISTRICT_TITLE)  # last: from what the others did
    db.session.flush()
    return accounts


@portal_cli.command("seed-demo")
def seed_demo_command():
    """Demo authorities, schools and one account for every role (password demo-pass-2035)."""
    from flask import current_app

    accounts = seed_demo()
    db.session.commit()
    # Every PDF the demo publishes prints this address for checking it, and its QR code leads there.
    click.echo(
        f"Published PDFs print {current_app.config['PORTAL_PUBLIC_URL'].rstrip('/')}/verify (PORTAL_PUBLIC_URL)."
    )
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email, role, scope in accounts:
        click.echo(f"  {email:<26} {role:<17} {scope}")
    _show_log_and_witness_it()


def _show_log_and_witness_it():
    """Print the transparency log's checkpoint, and keep a demo witness's state (PORTAL_DEMO_WITNESS_DIR)
    made by witnessing the log through the app itself, as `flask portal witness` does over HTTP."""
    from flask import current_app

    from portal.transparency import services as transparency
    from portal.transparency import witness

    checkpoint = transparency.latest_checkpoint()
    if checkpoint is None:
        return
    click.echo("Transparency log checkpoint:")
    click.echo(transparency.checkpoint_with_cosignatures(checkpoint), nl=False)
    app = current_app._get_current_object()
    base = app.config["PORTAL_PUBLIC_URL"].rstrip("/")
    client = app.test_client()

    def fetch(url):
        response = client.get(url.removeprefix(base), base_url=base)
        if response.status_code != 200:
            raise witness.WitnessError(f"{url} answered {response.status_code}")
        return response.data

    state = app.config["PORTAL_DEMO_WITNESS_DIR"]
    try:
        outcome = witness.run(base, state, fetch=fetch)
    except witness.WitnessError as error:  # e.g. a state kept from an older demo database
        click.echo(f"Demo witness ({state}): {error}")
        return
    click.echo(f"Demo witness ({state}): {outcome.message}")


search_cli = AppGroup("search", help="The search index.")
portal_cli.add_command(search_cli)


@search_cli.command("reindex")
def search_reindex_command():
    """Empty the search index and index every public record again (after the migration that
    creates it, or to repair it)."""
    from portal.search import services as search_services

    counts = search_services.reindex()
    db.session.commit()
    click.echo("Indexed: " + ", ".join(f"{kind} {count}" for kind, count in counts.items()))


@portal_cli.command("create-admin")
@click.option("--email", prompt=True, help="The administrator's email address.")
@click.option("--name", "display_name", prompt="Display name", help="The name shown for them.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
@click.option(
    "--authority", "authority_name", default=None, help="Chinese name of the authority (default: the top one)."
)
@click.option("--authority-en", default=None, help="English name, if the authority has to be created.")
def create_admin_command(email, display_name, password, authority_name, authority_en):
    """Create (or promote) a commission administrator, for a real deployment."""
    if len(password) < PASSWORD_MIN:
        raise click.BadParameter(f"the password needs at least {PASSWORD_MIN} characters", param_hint="--password")
    if authority_name:
        authority = db.session.scalar(select(Authority).where(Authority.name_zh == authority_name))
        if authority is None:
            authority = school_services.create_authority(
                None, name_zh=authority_name, name_en=authority_en or authority_name
            )
    else:
        authority = db.session.scalar(select(Authority).where(Authority.parent_id.is_(None)).order_by(Authority.id))
        if authority is None:
            authority = school_services.create_authority(None, name_zh=CITY[0], name_en=CITY[1])
    user = account_services.find_user_by_email(email)
    if user is None:
        user = account_services.register_user(email=email, display_name=display_name, password=password, language=None)
    account_services.grant_membership(None, user, Role.COMMISSION_ADMIN, authority)
    db.session.commit()
    click.echo(f"{user.email} is a commission administrator of {authority.name_zh}.")


@portal_cli.group("keys")
def keys_cli():
    """The key pair that signs published PDFs."""


@keys_cli.command("init")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing key pair (PDFs signed with it stay valid only against the old certificate).",
)
def keys_init_command(force):
    """Create a self-signed development key pair at PORTAL_SIGNING_KEY / PORTAL_SIGNING_CERT (mode 0600),
    and, unless PORTAL_TSA_URL names a TSA, the local development TSA's at PORTAL_TSA_KEY / PORTAL_TSA_CERT."""
    from flask import current_app

    from portal.documents import signing

    config = current_app.config
    key_path, cert_path = config["PORTAL_SIGNING_KEY"], config["PORTAL_SIGNING_CERT"]
    try:
        signing.generate_development_keys(key_path, cert_path, force=force)
    except FileExistsError as error:
        raise click.ClickException(f"{error} already exists; use --force to replace it") from None
    click.echo(f"Development signing key: {key_path}")
    click.echo(f"Self-signed certificate: {cert_path}")
    if not config["PORTAL_TSA_URL"]:
        _development_tsa(force=force)


@keys_cli.command("tsa")
def keys_tsa_command():
    """Create the local development TSA's key pair at PORTAL_TSA_KEY / PORTAL_TSA_CERT if it is missing
    (for instances whose signing keys predate it; `make run` runs it). Nothing when PORTAL_TSA_URL is set."""
    from flask import current_app

    if current_app.config["PORTAL_TSA_URL"]:
        click.echo(f"Timestamps come from {current_app.config['PORTAL_TSA_URL']}: no local TSA needed.")
        return
    _development_tsa(force=False)


def _development_tsa(*, force: bool) -> None:
    from flask import current_app

    from portal.documents import signing

    tsa_key, tsa_cert = current_app.config["PORTAL_TSA_KEY"], current_app.config["PORTAL_TSA_CERT"]
    if force or not (Path(tsa_key).exists() and Path(tsa_cert).exists()):
        signing.generate_development_keys(
            tsa_key, tsa_cert, force=True, subject=signing.DEVELOPMENT_TSA_SUBJECT, timestamping=True
        )
    click.echo(f"Development timestamp authority (local, PORTAL_TSA_URL unset): {tsa_cert}")


@portal_cli.command("rotate-signing-key")
def rotate_signing_key_command():
    """Sign from now on with a new key pair (self-signed, at PORTAL_SIGNING_KEY / PORTAL_SIGNING_CERT).
    The certificate used so far stays published at /log/certificates, so every document it signed
    keeps verifying."""
    from portal.documents import services as document_services

    rotated = document_services.rotate_signing_key(None)
    db.session.commit()
    # After the commit: a stored certificate whose key never came into use harms nobody, a key in
    # use whose certificate is not stored would (archive_pdf stores it at the next signature anyway).
    document_services.write_key_pair(rotated.key_pem, rotated.cert_pem)
    click.echo(
        f"New signing certificate {rotated.certificate.sha256}, valid from {rotated.certificate.not_before:%Y-%m-%d}."
    )


@portal_cli.group("log-key")
def log_key_cli():
    """The Ed25519 key that signs the transparency log's checkpoints (not the PDF key)."""


@log_key_cli.command("init")
@click.option("--force", is_flag=True, help="Replace an existing key (witnesses will then refuse the log).")
def log_key_init_command(force):
    """Create a log key at PORTAL_LOG_KEY (mode 0600), named after the log's origin."""
    from flask import current_app

    from portal.transparency import services as transparency

    path = current_app.config["PORTAL_LOG_KEY"]
    if path.startswith("PRIVATE+KEY+"):
        raise click.ClickException("PORTAL_LOG_KEY holds a key itself; there is no file to create")
    try:
        transparency.generate_log_key(path, transparency.origin(), force=force)
    except FileExistsError as error:
        raise click.ClickException(f"{error} already exists; use --force to replace it") from None
    click.echo(f"Transparency log key: {path}")
    click.echo(f"Its verifier key (/log/key): {transparency.verifier_key()}")


@portal_cli.command("verify-archive")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="A checkpoint of the transparency log saved earlier (e.g. by a witness): prove the log extends it.",
)
def verify_archive_command(checkpoint_file):
    """Re-hash every stored document, check every signature, walk the publication log, and check
    every record against the transparency log (and the log against --checkpoint)."""
    from portal.documents import services as document_services

    saved = checkpoint_file.read() if checkpoint_file is not None else None
    problems = document_services.verify_archive(saved)
    if problems:
        click.echo(f"archive broken: {problems[0]}", err=True)
        if len(problems) > 1:
            click.echo(f"  ({len(problems) - 1} more problem(s):)", err=True)
            for problem in problems[1:]:
                click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    documents, entries = document_services.archive_counts()
    click.echo(f"archive intact: {documents} documents, {entries} entries")


@portal_cli.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Jobs run at once (default: 1 on embedded SQLite, which has one writer; 4 otherwise).",
)
def worker_command(threads):
    """Run background jobs (publishing decisions, mail, fan-out, reminders, digests) until stopped
    (Ctrl-C or SIGTERM). Run as many as you like, on any machine sharing the database and REDIS_URL."""
    from flask import current_app

    from portal import jobs

    app = current_app._get_current_object()
    embedded = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    jobs.use_app(app)
    if not app.config.get("PORTAL_SMTP_URL"):
        click.echo(f"Mail: no PORTAL_SMTP_URL set, so each mail is written to {app.config['PORTAL_OUTBOX_DIR']}/")
    click.echo(f"Jobs: {jobs.describe_queue()}")
    consumer = jobs.huey.create_consumer(
        workers=threads or (1 if embedded else 4), worker_type="thread", periodic=True, check_worker_health=True
    )
    consumer.run()


@portal_cli.command("witness")
@click.argument("url")
@click.option(
    "--state",
    "state_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where this witness keeps the log key, the last checkpoint and its own key.",
)
@click.option("--key", default=None, help="The log's verifier key (else the one kept, or /log/key on first use).")
@click.option("--cosign", is_flag=True, help="Sign the checkpoint with this witness's key and send it back.")
@click.option("--name", default=None, help="This witness's name when its key is made (e.g. news.example/witness).")
def witness_command(url, state_dir, key, cosign, name):
    """Witness the transparency log at URL: check the new checkpoint's signature and that it
    extends the one kept last time. Exits 1 on a rollback, a fork, a bad signature or an
    unreachable portal."""
    from portal.transparency import witness

    try:
        outcome = witness.run(url, state_dir, key=key, cosign=cosign, name=name)
    except witness.WitnessError as error:
        click.echo(f"witness: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"witness: {outcome.message}")


@portal_cli.command("serve")
@click.option("--bind", default=None, help="Address and port (default: PORTAL_BIND, else 127.0.0.1:8000).")
@click.option(
    "--workers", type=click.IntRange(1, 256), default=None, help="Web processes (see portal/gunicorn_conf.py)."
)
@click.option("--no-worker", is_flag=True, help="Do not start the job worker (it runs elsewhere).")
def serve_command(bind, workers, no_worker):
    """Serve the portal as in production: gunicorn with portal/gunicorn_conf.py, and the job
    worker beside it (`flask portal worker`). Ctrl-C or SIGTERM stops both."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    bin_dir = Path(sys.executable).parent
    gunicorn = [str(bin_dir / "gunicorn"), "-c", "python:portal.gunicorn_conf"]
    if bind:
        gunicorn += ["--bind", bind]
    if workers:
        gunicorn += ["--workers", str(workers)]
    processes = [subprocess.Popen([*gunicorn, "app:app"])]
    if not no_worker:
        processes.append(subprocess.Popen([str(bin_dir / "flask"), "--app", "app", "portal", "worker"]))

    def stop(*_):
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes):
            try:
                processes[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in processes:
            process.wait()
    raise SystemExit(processes[0].returncode or 0)
