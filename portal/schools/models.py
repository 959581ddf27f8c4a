"""Authorities (city commission → district bureaus) and schools: the scopes every role hangs on."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import Labelled
from portal.extensions import db, str_enum


class SchoolType(Labelled):
    PRIMARY = "primary", _l("Primary school")
    JUNIOR = "junior", _l("Junior secondary school")
    SENIOR = "senior", _l("Senior secondary school")
    VOCATIONAL = "vocational", _l("Vocational school")
    SPECIAL = "special", _l("Special education school")


class Authority(db.Model):
    """An education authority. `path` lists the ids from the root ("/1/3/"), so that a whole
    subtree is one indexed prefix query: a city moderator sees every district below it."""

    __tablename__ = "authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="", index=True)
    name_zh: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped["Authority | None"] = relationship(remote_side=[id])
    schools: Mapped[list["School"]] = relationship(back_populates="authority", order_by="School.id")

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh

    def covers(self, other: "Authority") -> bool:
        """True when `other` is this authority or lies below it."""
        return other.path.startswith(self.path)

    def __repr__(self):
        return f"<Authority {self.id} {self.name_zh}>"


class School(db.Model):
    __tablename__ = "school"
    # Each authority's schools by name: the first few of every district (the home page) are read
    # from it (migration 0025).
    __table_args__ = (Index("ix_school_authority_name", "authority_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authority.id"), index=True)
    type: Mapped[SchoolType] = mapped_column(str_enum(SchoolType), index=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    website: Mapped[str] = mapped_column(String(255), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Goes before 〔year〕N号 in the numbers of the school's decisions, e.g. "渝一中校委".
    decision_prefix: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    authority: Mapped[Authority] = relationship(back_populates="schools")

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh

    def __repr__(self):
        return f"<School {self.slug}>"
