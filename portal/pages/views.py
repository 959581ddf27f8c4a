"""The home page, the language switch and the health check."""

from datetime import UTC, datetime

from flask import current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import text

from portal import clock, jobs
from portal.clock import utcnow
from portal.consultations import lists as consultation_lists
from portal.decisions import services as decision_services
from portal.extensions import csrf, db, rate_limit_health
from portal.i18n import remember_language, remember_language_cookie
from portal.pages import bp
from portal.schools import services as school_services
from portal.web import query_args, redirect_to, safe_next

HOME_DECISIONS = 5
HOME_CONSULTATIONS = 5


@bp.get("/")
@query_args()
def home():
    districts = school_services.districts_overview()
    return render_template(
        "pages/home.html",
        districts=districts,
        decisions=decision_services.latest_decisions(limit=HOME_DECISIONS),
        open_consultations=consultation_lists.open_consultations(utcnow(), limit=HOME_CONSULTATIONS),
        now=utcnow(),
        today=clock.today(),
    )


@bp.post("/language")
@csrf.exempt
def set_language():
    """The language switch: a small form in the header, so it works without JavaScript.

    A visitor's switch carries no CSRF token: the pages visitors read are kept in the page cache
    for everybody, so they hold nobody's token. Nothing is at stake: for a visitor the switch only
    sets the language cookie, which any site can already do by linking to `?lang=` (i18n.py). For
    someone logged in it changes their account: the token is checked as on every form."""
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    language = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), "/")
    response = current_app.make_response(redirect_to(target))
    if language not in current_app.config["PORTAL_LANGUAGES"]:
        return response
    remember_language(language)
    db.session.commit()
    remember_language_cookie(response, language)
    return response


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 when this process can reach its database, 503 when not. Also says
    whether Redis answers (when REDIS_URL is set) and where rate limits are counted: "shared"
    (Redis), "per-process" (in memory: right for the embedded single process, a warning when
    several serve), or "per-process (Redis unreachable)" while Redis is down. Neither makes the
    portal unhealthy: it goes on serving, with limits counted per process meanwhile. And how long
    the oldest background job has waited, and how many jobs this process could not queue (the
    queue unreachable; the change that asked for them was kept, and publications are asked for
    again by the job worker's sweep)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # any failure to reach the database means "not healthy", never a 500
        current_app.logger.warning("health check: database unreachable: %s", error)
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    answer = {"status": "ok" if status == 200 else "unavailable", "database": database}
    answer.update(rate_limit_health())
    # How long the oldest job has waited (null: none waits): a number that keeps growing means no
    # worker runs, or too few. Mail and notifications wait meanwhile; nothing is lost.
    waited = jobs.oldest_waiting_seconds()
    failures = jobs.enqueue_failures()
    answer["jobs"] = {
        "queue": jobs.describe_queue(),
        "oldest_waiting_seconds": round(waited, 1) if waited else None,
        "not_queued": failures["count"],
        "last_not_queued_at": (
            datetime.fromtimestamp(failures["last_at"], UTC).isoformat() if failures["last_at"] else None
        ),
        "last_not_queued_job": failures["last_job"],
    }
    response = jsonify(answer)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
