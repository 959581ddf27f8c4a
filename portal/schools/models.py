"""Authorities (city commission → district bureaus) and schools: the scopes every role hangs on."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.clock import utcnow
from portal.domain import Labelled
from portal.extensions import db, str_enum
from portal.text import pinyin_sort_key


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
    # Each authority's schools in the order of their names: the first few of every district (the
    # home page) are read from it (migrations 0025 and 0026).
    __table_args__ = (Index("ix_school_authority_sort", "authority_id", "name_sort"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    # Where the school comes in a list: its Chinese name by pinyin (text.pinyin_sort_key), set with
    # the name. Compared byte by byte on every engine (PostgreSQL's "C" collation, SQLite's own).
    name_sort: Mapped[str] = mapped_column(
        String(1000).with_variant(String(1000, collation="C"), "postgresql"), server_default=""
    )
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

    @validates("name_zh")
    def _sorted_by_its_name(self, _key, name: str) -> str:
        if name != self.name_zh or self.name_sort is None:  # the same name saved again: no pypinyin
            self.name_sort = pinyin_sort_key(name)
        return name

    def __repr__(self):
        return f"<School {self.slug}>"
