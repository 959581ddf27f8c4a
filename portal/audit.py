"""The audit trail: who did what to which object, when. Append-only.

`record()` adds an event to the caller's session, so it is committed (or rolled back)
together with the change it describes. The ORM refuses to update or delete an event.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import AppendOnly, AppendOnlyError, db


class AuditLogIsAppendOnly(AppendOnlyError):
    pass


class AuditEvent(AppendOnly, db.Model):
    __tablename__ = "audit_event"
    # /audit filters by object ("everything that happened to decision 42").
    __table_args__ = (Index("ix_audit_event_object_type_object_id", "object_type", "object_id"),)
    append_only_error = AuditLogIsAppendOnly

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # The scope the event belongs to, so that a commission admin sees only their subtree's events.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor = relationship("User", lazy="raise")

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"


def record(
    actor,
    action: str,
    obj=None,
    *,
    school_id: int | None = None,
    authority_id: int | None = None,
    ip_address: str | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits it with its change.
    `obj` may be a model instance (its class name and id are recorded) or None."""
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush([obj])  # a new object gets its id, so the event can point at it
    auditevent = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        school_id=school_id if school_id is not None else getattr(obj, "school_id", None),
        authority_id=authority_id if authority_id is not None else getattr(obj, "authority_id", None),
        ip_address=ip_address,
        data=data,
    )
    db.session.add(auditevent)
    return auditevent


@dataclass(frozen=True)
class Action:
    """Who did something, and when (for "someone else acted first")."""

    name: str
    at: datetime
    action: str
    data: dict


def last_action(obj, actions: tuple[str, ...]) -> Action | None:
    """The latest audited action among `actions` on `obj`, with the name of who took it ("" for
    the portal itself, e.g. the reports threshold). One query."""
    event = db.session.scalar(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(
            AuditEvent.object_type == type(obj).__name__,
            AuditEvent.object_id == obj.id,
            AuditEvent.action.in_(actions),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    name = event.actor.display_name if event.actor is not None else ""
    return Action(name=name, at=event.created_at, action=event.action, data=event.data or {})
