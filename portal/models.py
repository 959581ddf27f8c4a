"""Every model of the portal, imported in one place so that the schema is whole for Alembic,
the tests and the CLI, whichever feature happens to be imported first."""

from portal.accounts.models import AUTHORITY_ROLES, DataExport, Invitation, Membership, Role, User  # noqa: F401
from portal.audit import AuditEvent  # noqa: F401
from portal.charters.models import CharterVersion, StoredCharterDiff  # noqa: F401
from portal.consultations.models import (  # noqa: F401
    Audience,
    Consultation,
    OutcomeTheme,
    Question,
    Response,
    ResponseDraft,
    ResponseVersion,
    Tally,
)
from portal.decisions.models import Decision  # noqa: F401
from portal.disclosure.models import DisclosureItem, SchoolDisclosure  # noqa: F401
from portal.documents.models import Document, PublicationLogEntry  # noqa: F401
from portal.feedback.models import Feedback, FeedbackEvent, FeedbackReferenceCounter  # noqa: F401
from portal.meetings.models import AgendaItem, Attendance, BodyMember, GoverningBody, Meeting  # noqa: F401
from portal.moderation.models import Block, Report  # noqa: F401
from portal.notifications.models import Announcement, Follow, Mail, Notification, Preference  # noqa: F401
from portal.schools.models import Authority, School  # noqa: F401
from portal.search.models import SearchEntry  # noqa: F401
from portal.supervision.models import SupervisionCase  # noqa: F401
from portal.transparency.models import LogCheckpoint, LogCosignature, LogLeaf, LogNode  # noqa: F401
from portal.workdays import WorkingDayOverride  # noqa: F401
