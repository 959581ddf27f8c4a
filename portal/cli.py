"""`flask portal ...`: demo data and first accounts."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.accounts import services as account_services
from portal.accounts.models import PASSWORD_MIN, Role, User
from portal.charters.demo import seed_charter
from portal.consultations.demo import DISTRICT_TITLE, seed_consultations, seed_district_consultation
from portal.decisions.demo import seed_decisions
from portal.extensions import db
from portal.feedback.demo import seed_feedback
from portal.meetings.demo import seed_meetings
from portal.moderation.demo import seed_moderation
from portal.notifications.demo import seed_notifications
from portal.schools import services as school_services
from portal.schools.models import Authority, School, SchoolType

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
    seed_notifications(schools, people, district_consultation_title=DISTRICT_TITLE)  # last: from what the others did
    db.session.flush()
    return accounts


@portal_cli.command("seed-demo")
def seed_demo_command():
    """Demo authorities, schools and one account for every role (password demo-pass-2035)."""
    accounts = seed_demo()
    db.session.commit()
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email, role, scope in accounts:
        click.echo(f"  {email:<26} {role:<17} {scope}")


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
    """Create a self-signed development key pair at PORTAL_SIGNING_KEY / PORTAL_SIGNING_CERT (mode 0600)."""
    from flask import current_app

    from portal.documents import signing

    key_path, cert_path = current_app.config["PORTAL_SIGNING_KEY"], current_app.config["PORTAL_SIGNING_CERT"]
    try:
        signing.generate_development_keys(key_path, cert_path, force=force)
    except FileExistsError as error:
        raise click.ClickException(f"{error} already exists; use --force to replace it") from None
    click.echo(f"Development signing key: {key_path}")
    click.echo(f"Self-signed certificate: {cert_path}")


@portal_cli.command("verify-archive")
def verify_archive_command():
    """Re-hash every stored document, check every signature and walk the publication log."""
    from portal.documents import services as document_services

    problems = document_services.verify_archive()
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
    """Run background jobs (mail, fan-out, reminders, digests) until stopped (Ctrl-C or SIGTERM).
    Run as many as you like, on any machine sharing the database and REDIS_URL."""
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
