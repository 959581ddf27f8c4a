"""The application factory: it only wires things together."""

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as portal_config

ROOT = Path(__file__).resolve().parent.parent


# Each registers a blueprint named like its package.
FEATURES = (
    "pages",
    "accounts",
    "schools",
    "charters",
    "meetings",
    "decisions",
    "feedback",
    "consultations",
    "moderation",
    "oversight",
    "disclosure",
    "supervision",
    "notifications",
    "transparency",
    "search",
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    from portal.i18n import TranslatingEnvironment

    # Templates compiled in the page's language (i18n.TranslatedAsCompiled): before anything
    # asks for app.jinja_env, which Flask makes of this class.
    app.jinja_environment = TranslatingEnvironment
    app.config.update(portal_config.load())
    if config:
        app.config.update(config)
    from portal.page_cache import PageCache

    # Inside ProxyFix: the cache sees the client's real scheme and host.
    app.wsgi_app = app.extensions["page_cache"] = PageCache(app.wsgi_app, app)
    from portal import static_files

    static_files.register(app)  # static files never reach the page cache or Flask
    if app.config.get("PORTAL_PROXY_COUNT"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PORTAL_PROXY_COUNT"]), x_proto=1, x_host=1)

    _trust_only_the_public_host(app)
    _refuse_several_workers_without_shared_limits(app)
    _warn_about_unshared_limits(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_templates(app)

    from portal import errors, page_cache, security, timeouts, web

    page_cache.register(app)
    errors.register(app)
    security.register(app)
    web.register(app)
    timeouts.register(app)

    from portal.cli import portal_cli

    app.cli.add_command(portal_cli)
    _start_fork_server_when_serving(app)
    return app


def _start_fork_server_when_serving(app: Flask) -> None:
    """The development server (`flask run`) starts the fork server of /verify's parser now, as
    gunicorn's workers do (portal/gunicorn_conf.py post_worker_init): its first upload would
    otherwise wait seconds for it. PORTAL_START_FORK_SERVER=1 asks for it in any process (a
    test of the start); other commands and the tests start it at their first use, if ever."""
    import click

    context = click.get_current_context(silent=True)
    serving = context is not None and context.info_name == "run"
    if serving or app.config.get("PORTAL_START_FORK_SERVER"):
        from portal.documents.checking import start_fork_server

        start_fork_server()


LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"]


def _trust_only_the_public_host(app: Flask) -> None:
    """Answer only requests for PORTAL_PUBLIC_URL's host (and PORTAL_TRUSTED_HOSTS): a request
    with another Host header gets 400 (errors.py), so no page, redirect or cache entry is ever
    built on a host a client chose. A public address on this machine (the embedded default)
    trusts every name of this machine. TRUSTED_HOSTS set explicitly is left as it is."""
    if app.config.get("TRUSTED_HOSTS") is not None:
        return
    host = urlsplit(app.config["PORTAL_PUBLIC_URL"]).hostname or ""
    trusted = [host, *app.config.get("PORTAL_TRUSTED_HOSTS", [])]
    if host in LOOPBACK_HOSTS:
        trusted += LOOPBACK_HOSTS
    app.config["TRUSTED_HOSTS"] = list(dict.fromkeys(name for name in trusted if name))


class UnsharedLimitsError(RuntimeError):
    """Several web processes were configured without a store they could share rate limits in."""


def _refuse_several_workers_without_shared_limits(app: Flask) -> None:
    """Rate limits (failed logins, /verify, feedback) are counted in Redis when REDIS_URL is set,
    else in this process's memory. Several processes counting apart would each allow the full
    limit (5 failed logins per account become 5 per worker), so a server of more than one worker
    (PORTAL_WORKERS, or gunicorn's WEB_CONCURRENCY; portal/gunicorn_conf.py checks its own --workers)
    without REDIS_URL refuses to start, saying why. One process (the embedded default) is fine."""
    workers = int(app.config.get("PORTAL_WORKERS") or 1)
    if workers > 1 and not app.config.get("REDIS_URL") and app.config.get("RATELIMIT_ENABLED", True):
        raise UnsharedLimitsError(
            f"PORTAL_WORKERS is {workers} but REDIS_URL is not set: each process would count rate limits "
            "apart. Set REDIS_URL (shared by every process), or serve with one worker."
        )


def _warn_about_unshared_limits(app: Flask) -> None:
    """Without Redis, rate limits are counted in each process's memory: right for the embedded
    single process, too lenient when several processes serve (each counts apart). PostgreSQL is
    the configuration for several; say so at start (/healthz says "per-process" too)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not app.config.get("REDIS_URL"):
        app.logger.warning(
            "REDIS_URL is not set: rate limits are counted per process. "
            "Set REDIS_URL when more than one process serves the portal."
        )


def _init_extensions(app: Flask) -> None:
    import portal.models  # noqa: F401  (the whole schema, before anything touches the database)
    from portal import i18n
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

    _sqlite_busy_timeout(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.register(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from portal.accounts import services as account_services

    login_manager.user_loader(account_services.load_user_for_session)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page itself says why you are there
    # "basic", not "strong": parents on mobile data change IP address often and would be logged out.
    login_manager.session_protection = "basic"


def _sqlite_busy_timeout(app: Flask) -> None:
    """On SQLite, how long a writer waits for the lock (the driver's `timeout` is SQLite's busy
    timeout); PostgreSQL's connections take no such argument."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {**options.get("connect_args", {}), "timeout": app.config["PORTAL_SQLITE_BUSY_SECONDS"]}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module
    from importlib.util import find_spec

    from portal.web import IdConverter

    # Every <int:...> in an address is an id or a number that a 32-bit column holds (portal.web).
    app.url_map.converters["int"] = IdConverter

    for feature in FEATURES:
        # The routes attach themselves to the blueprint: the public pages (views.py) and, where a
        # feature has them, its management pages (manage_views.py); pages/ and notifications/ name
        # their own modules (notifications' listeners subscribe to the features' events).
        package = import_module(f"portal.{feature}")
        for module in getattr(package, "VIEW_MODULES", ("views", "manage_views")):
            if find_spec(f"portal.{feature}.{module}") is not None:
                import_module(f"portal.{feature}.{module}")
        app.register_blueprint(package.bp)


def _register_templates(app: Flask) -> None:
    from portal import i18n, text, web

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["quoted_inside"] = web.quoted_inside_in_chinese
    app.jinja_env.filters["chart_label_lines"] = text.label_lines  # macros/charts.html
    app.jinja_env.globals.update(
        url_for=web.template_url_for,
        current_language=web.current_language,
        html_lang=web.html_lang,
        made_once=web.made_once,
        word_gap=web.word_gap,
        language_names=i18n.LANGUAGE_NAMES,
        available_languages=i18n.languages,
    )

    @app.context_processor
    def _request_context():
        from portal import policy  # policy imports the models; the factory imports them first
        from portal.pages import work

        # The user itself, not Flask-Login's proxy: templates ask it a dozen times a page, and
        # each question through the proxy looks the user up again in the request's context.
        user = current_user._get_current_object()
        # The moderation queue is a moderator's everyday page: a link in the header, for them only
        # (from the memberships already loaded with the user, no query).
        return {
            "current_user": user,
            "request_path": web.current_page_path(),
            "may_moderate": policy.can(user, "moderate"),
            # A responsible supervisor's queue, for them only (the memberships again: no query).
            "may_supervise": policy.can(user, "supervise"),
            # Staff's link to their work (the memberships again: no query; None for visitors and parents).
            "my_work_url": work.work_url(user),
        }
