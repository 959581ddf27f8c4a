"""What is waiting for a member of staff: for each school they serve (board member, school admin)
and each authority (moderator, commission admin), counts of what waits for them, each linked to
the list where it is handled. /me shows every place; a school's management home shows its own;
/oversight the authorities'.

The counts come from each feature's own counting function (feedback, decisions, consultations,
the moderation queue), each one aggregate query for every place at once: the page costs the same
few queries for one school as for twenty. The places come from the memberships loaded with the
person (no query)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from urllib.parse import quote

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.accounts.models import AUTHORITY_ROLES, Role
from portal.clock import local_date
from portal.consultations import services as consultation_services
from portal.decisions import services as decision_services
from portal.feedback import services as feedback_services
from portal.moderation import queue
from portal.schools import services as school_services
from portal.schools.models import Authority, School
from portal.web import current_language

SCHOOL_WORK_ROLES = frozenset({Role.BOARD_MEMBER, Role.SCHOOL_ADMIN})


class WorkCount(NamedTuple):
    """One count: what it is, how many, and the list where it is handled. `urgent` marks what is
    late (overdue), which the page says in words as well. (A named tuple: someone serving fifty
    schools sees five hundred of them.)"""

    label: str
    count: int
    url: str
    urgent: bool = False

    @property
    def number(self) -> str:
        """The count as the page writes it (1,234)."""
        return f"{self.count:,}"


@dataclass(frozen=True)
class WorkGroup:
    """Counts that belong together under a heading (None: the place's only group)."""

    label: str | None
    counts: list[WorkCount]


@dataclass
class WorkPlace:
    """A school or an authority the person serves, their roles there, and what waits there."""

    scope: School | Authority
    roles: list[Role]
    home_url: str
    groups: list[WorkGroup] = field(default_factory=list)
    # As the page writes them, in its language: the place's name and the roles there.
    name: str = ""
    role_labels: list[str] = field(default_factory=list)

    @property
    def counts(self) -> list[WorkCount]:
        return [count for group in self.groups for count in group.counts]

    @property
    def is_school(self) -> bool:
        return isinstance(self.scope, School)

    @property
    def anchor(self) -> str:
        return f"work-{'school' if self.is_school else 'authority'}-{self.scope.id}"

    @property
    def waiting(self) -> int:
        return sum(count.count for count in self.counts)


def served_places(user) -> tuple[dict[int, list[Role]], dict[int, list[Role]], dict[tuple, School | Authority]]:
    """The schools and authorities `user` serves as staff, with their roles there, and the
    places themselves by ("school", id) and ("authority", id): from the memberships (no query)."""
    schools: dict[int, list[Role]] = {}
    authorities: dict[int, list[Role]] = {}
    scopes: dict[tuple, School | Authority] = {}
    for membership in getattr(user, "memberships", ()):
        if membership.role in SCHOOL_WORK_ROLES and membership.school is not None:
            schools.setdefault(membership.school_id, []).append(membership.role)
            scopes[("school", membership.school_id)] = membership.school
        elif membership.role in AUTHORITY_ROLES and membership.authority is not None:
            authorities.setdefault(membership.authority_id, []).append(membership.role)
            scopes[("authority", membership.authority_id)] = membership.authority
    return schools, authorities, scopes


def work_url(user) -> str | None:
    """Where the header's "My work" leads: the school's management home for someone who serves
    one school and nothing else, else the "waiting for you" part of /me; None for people who
    serve nowhere (visitors, parents). From the memberships loaded with the person: no query."""
    if not getattr(user, "is_authenticated", False):
        return None
    schools, authorities, scopes = served_places(user)
    if len(schools) == 1 and not authorities:
        (school_id,) = schools
        return url_for("schools.manage", slug=scopes[("school", school_id)].slug)
    if schools or authorities:
        return url_for("pages.me", _anchor="work")
    return None


# The words of the counts, translated once per page rather than once per count (a person serving
# fifty schools sees five hundred counts: bench/pages.py).
WORDS = {
    "feedback_waiting": _l("Feedback waiting for an answer"),
    "feedback_overdue": _l(
        "Feedback overdue (no answer within %(days)d working days)", days=feedback_services.ANSWER_WORKING_DAYS
    ),
    "decision_drafts": _l("Decision drafts"),
    "consultation_drafts": _l("Consultation drafts"),
    "sent_back": _l("Consultations sent back by the moderators"),
    "submitted": _l("Consultations awaiting approval"),
    "closed_without_outcome": _l("Consultations closed without an outcome"),
    "outcome_overdue": _l("Outcomes overdue"),
    "pending_responses": _l("Responses awaiting moderation"),
    "reported": _l("Reported responses"),
    "moderation_queue": _l("Moderation queue"),
    "started_here": _l("Consultations started here"),
}


class _SchoolLinks:
    """url_for(endpoint, slug=..., ...) for many schools: each address is built once with a mark
    in the slug's place, then the mark is replaced by each school's slug (`of(slug)`: quoted once
    per school). Building an address costs about 18 µs; five hundred of them were half of /me for
    someone serving fifty schools."""

    MARK = "0school-slug0"

    def __init__(self):
        self.patterns: dict[tuple, str] = {}

    def of(self, slug: str):
        """The school's addresses: link(endpoint, **values)."""
        quoted = quote(slug, safe="")

        def link(endpoint: str, **values) -> str:
            key = (endpoint, *values.items())
            pattern = self.patterns.get(key)
            if pattern is None:
                pattern = self.patterns[key] = url_for(endpoint, slug=self.MARK, **values)
            return pattern.replace(self.MARK, quoted)

        return link


def _school_counts(feedback, decisions: int, consultations, sections: set[str], words, link) -> list[WorkCount]:
    counts = []
    if "feedback" in sections:
        inbox = "feedback.inbox"
        counts += [
            WorkCount(words["feedback_waiting"], feedback.unanswered, link(inbox)),
            WorkCount(
                words["feedback_overdue"],
                feedback.overdue,
                link(inbox, status=feedback_services.OVERDUE),
                bool(feedback.overdue),
            ),
        ]
    if "decisions" in sections:
        drafts = link("decisions.manage", _anchor="drafts-heading")
        counts.append(WorkCount(words["decision_drafts"], decisions, drafts))
    if "consultations" in sections:
        counts += _consultation_counts(
            consultations, lambda anchor: link("consultations.manage", _anchor=anchor), words
        )
    return counts


def _consultation_counts(work, link, words) -> list[WorkCount]:
    return [
        WorkCount(words["consultation_drafts"], work.drafts, link("draft-heading")),
        WorkCount(words["sent_back"], work.sent_back, link("sent_back-heading")),
        WorkCount(words["submitted"], work.submitted, link("submitted-heading")),
        WorkCount(words["closed_without_outcome"], work.closed_without_outcome, link("closed-heading")),
        WorkCount(words["outcome_overdue"], work.outcome_overdue, link("closed-heading"), bool(work.outcome_overdue)),
    ]


def _authority_groups(authority: Authority, roles: list[Role], queue_counts, consultations, words) -> list[WorkGroup]:
    def queue_link(kind):
        return url_for("moderation.queue", district=authority.id, kind=kind)

    queue_counts = [
        WorkCount(words["pending_responses"], queue_counts.pending, queue_link("pending")),
        WorkCount(words["submitted"], queue_counts.consultations, queue_link("consultation")),
        WorkCount(words["reported"], queue_counts.reported, queue_link("reported")),
    ]
    groups = [WorkGroup(words["moderation_queue"], queue_counts)]
    if Role.COMMISSION_ADMIN in roles:
        # The authority's own consultations (district- or city-wide), which its commission admins run
        # (awaiting approval there means by the moderators above, or beside, them).
        own = _consultation_counts(
            consultations,
            lambda anchor: url_for("consultations.authority_manage", authority_id=authority.id, _anchor=anchor),
            words,
        )
        groups.append(WorkGroup(words["started_here"], own))
    return groups


ALL_SCHOOL_SECTIONS = frozenset({"feedback", "decisions", "consultations"})


def staff_work(user, now: datetime, *, only_school: School | None = None, sections=None, authorities_only=False):
    """The places `user` serves, each with its counts: schools first (by name), then authorities
    (from the top). `only_school`: that school alone, with the `sections` the viewer may open
    (a school's management home, which a commission admin above it opens too); `authorities_only`:
    the authorities alone (/oversight). A fixed number of queries, whatever the number of places."""
    school_roles, authority_roles, scopes = served_places(user)
    if only_school is not None:
        school_roles = {only_school.id: school_roles.get(only_school.id, [])}
        scopes[("school", only_school.id)] = only_school
        authority_roles = {}
    if authorities_only:
        school_roles = {}
    today = local_date(now)
    feedback = feedback_services.waiting_by_school(list(school_roles), today) if school_roles else {}
    drafts = decision_services.drafts_by_school(list(school_roles)) if school_roles else {}
    administered = [i for i, roles in authority_roles.items() if Role.COMMISSION_ADMIN in roles]
    consultations = (
        consultation_services.work_by_owner(list(school_roles), administered, now)
        if school_roles or administered
        else {}
    )
    authorities = [scopes[("authority", i)] for i in authority_roles]
    queue_counts = queue.counts_by_authority(authorities) if authorities else {}

    words = {name: str(label) for name, label in WORDS.items()}  # in the page's language
    language = current_language()
    role_labels = {role: str(role.label) for role in Role}
    links = _SchoolLinks()
    shown = set(sections if sections is not None else ALL_SCHOOL_SECTIONS)
    places = []
    for school_id, roles in school_roles.items():
        school = scopes[("school", school_id)]
        link = links.of(school.slug)
        counts = _school_counts(
            feedback[school_id], drafts[school_id], consultations[("school", school_id)], shown, words, link
        )
        places.append(
            WorkPlace(
                school,
                roles,
                link("schools.manage"),
                [WorkGroup(None, counts)],
                school.name(language),
                [role_labels[role] for role in roles],
            )
        )
    places.sort(key=lambda place: (place.scope.name_sort, place.scope.id))
    authority_places = []
    for authority in sorted(authorities, key=lambda a: (a.path, a.id)):
        roles = authority_roles[authority.id]
        groups = _authority_groups(
            authority, roles, queue_counts[authority.id], consultations.get(("authority", authority.id)), words
        )
        # A district's own numbers on the dashboard; the city's page starts from its districts.
        home = url_for("oversight.dashboard", district=authority.id if authority.parent_id else None)
        authority_places.append(
            WorkPlace(authority, roles, home, groups, authority.name(language), [role_labels[role] for role in roles])
        )
    return places + authority_places


def _management_home(user, school: School, now: datetime, sections: set[str]) -> list[WorkPlace]:
    return staff_work(user, now, only_school=school, sections=sections)


# A school's management home (a lower feature) shows the same counts: it asks through this hook.
school_services.WAITING_COUNTERS.append(_management_home)
