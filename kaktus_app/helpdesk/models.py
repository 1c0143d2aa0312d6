"""Tickets with their conversation and attachments, SLA targets, and the FAQ / knowledge base."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field

TICKET_STATUSES = ("new", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "waiting")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("portal", "email", "phone", "walk_in")
CATEGORIES = ("complaint", "question", "order_change", "food_quality", "delivery", "billing", "other")
MESSAGE_KINDS = ("reply", "note", "status", "event")
LANGUAGES = ("en", "id")


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_status_updated", "status", "updated_at"),
        Index("ix_ticket_company_created", "company_id", "created_at"),
        Index("ix_ticket_assignee_status", "assignee_id", "status"),
        Index("ix_ticket_category_created", "category", "created_at"),
        Index("ix_ticket_product_created", "product_id", "created_at"),
        Index("ix_ticket_created", "created_at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    title: str = Field(max_length=200)
    description: str = text_field()
    company_id: int | None = Field(default=None, foreign_key="customer.id")
    contact_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    category: str = Field(default="question", max_length=20)
    priority: str = Field(default="normal", max_length=10)
    channel: str = Field(default="phone", max_length=10)
    status: str = Field(default="new", max_length=15)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    team_id: int | None = Field(default=None, foreign_key="sales_team.id", index=True)
    tags: str = Field(default="", max_length=400)
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    faq_article_id: int | None = Field(default=None, foreign_key="faq_article.id")
    portal_user_id: int | None = Field(default=None, foreign_key="portal_user.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    version: int = Field(default=1)


class TicketMessage(SQLModel, table=True):
    """One entry of a ticket's conversation: a public reply, an internal note (staff only), or a
    status change / event on the timeline."""

    __tablename__ = "ticket_message"
    __table_args__ = (Index("ix_ticket_message_ticket", "ticket_id", "id"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: str = Field(default="reply", max_length=10)
    is_public: bool = Field(default=True)
    body: str = text_field()
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    author_portal_user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    author_name: str = Field(default="", max_length=120)
    created_at: datetime = created_field()


class TicketAttachment(SQLModel, table=True):
    """A file on a ticket message, kept in the database (every worker and host sees it); visible to
    the customer only when its message is public."""

    __tablename__ = "ticket_attachment"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="ticket_message.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int = Field(default=0)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = created_field()


class SlaPolicy(SQLModel, table=True):
    """Hours to the first response and to the resolution, per priority."""

    __tablename__ = "sla_policy"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    priority: str = Field(max_length=10, unique=True)
    first_response_hours: int = Field(default=8)
    resolution_hours: int = Field(default=72)


class FaqCategory(SQLModel, table=True):
    __tablename__ = "faq_category"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    name_id: str = Field(default="", max_length=80)
    position: int = Field(default=0)


class FaqArticle(SQLModel, table=True):
    __tablename__ = "faq_article"
    __table_args__ = (Index("ix_faq_article_published", "published", "language", "views"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    category_id: int | None = Field(default=None, foreign_key="faq_category.id", index=True)
    title: str = Field(max_length=200)
    body: str = text_field()  # Markdown; rendered without raw HTML
    language: str = Field(default="en", max_length=5)
    published: bool = Field(default=False)
    views: int = Field(default=0)
    helpful_yes: int = Field(default=0)
    helpful_no: int = Field(default=0)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class FaqVote(SQLModel, table=True):
    """One "was this helpful" answer per reader (a staff user, a portal user or a browser)."""

    __tablename__ = "faq_vote"
    __table_args__ = (UniqueConstraint("article_id", "voter", name="uq_faq_vote_voter"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="faq_article.id")
    voter: str = Field(max_length=80)
    helpful: bool = Field(default=True)
    created_at: datetime = created_field()
