"""Inbound e-mail: each received message (from an .eml upload or the IMAP poller), where it was
attached (contact, lead, ticket), its files, and the mailbox settings.

The links to the record a message was filed on (customer, lead, ticket, the logged activity, the
ticket message) are plain indexed ids, not foreign keys, on purpose (like ``Lead.opportunity_id``):
the log of received mail must never stop a customer, lead or ticket from being deleted by its own
module, nor break when those modules delete the activities and ticket messages they own. A link to
a record that is gone is shown as such and the message can be filed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field

MAIL_SOURCES = ("upload", "imap")
# contact: filed on the matching contact's timeline; lead: no contact matched, a lead was created
# (or the sender's open lead got it); ticket: a reply appended to a ticket thread; unmatched: kept
# for a person to file. A Message-ID seen before is never stored twice.
MAIL_OUTCOMES = ("contact", "lead", "ticket", "unmatched")


class InboundMessage(SQLModel, table=True):
    __tablename__ = "inbound_message"
    __table_args__ = (
        Index("ix_inbound_message_received", "received_at"),
        Index("ix_inbound_message_thread_subject", "from_address", "subject_key"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=300, unique=True)  # the Message-ID header (one copy per message)
    in_reply_to: str = Field(default="", max_length=300)
    references: str = text_field()
    thread_id: int | None = Field(default=None, foreign_key="inbound_message.id", index=True)  # first message of its thread
    subject: str = Field(default="", max_length=300)
    subject_key: str = Field(default="", max_length=300)  # the subject without Re:/Fwd:/AW:/Balas:, lower-case (threading)
    from_address: str = Field(default="", max_length=200, index=True)
    from_name: str = Field(default="", max_length=200)
    to_addresses: str = Field(default="", max_length=1000)
    sent_at: datetime | None = None  # the Date header
    received_at: datetime = created_field()
    body: str = text_field()  # the plain text (HTML-only mail turned into text)
    skipped_files: str = text_field()  # JSON list of the files not kept: [{"name", "size", "reason"}]
    source: str = Field(default="upload", max_length=10)
    outcome: str = Field(default="unmatched", max_length=10)
    customer_id: int | None = Field(default=None, index=True)
    lead_id: int | None = Field(default=None, index=True)
    ticket_id: int | None = Field(default=None, index=True)
    activity_id: int | None = None
    ticket_message_id: int | None = None
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class InboundAttachment(SQLModel, table=True):
    """A file of an inbound message, kept in the database like ticket files."""

    __tablename__ = "inbound_attachment"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="inbound_message.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int = Field(default=0)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MailSettings(SQLModel, table=True):
    """One row (id 1): what happens to mail from an unknown sender, who owns the leads it makes, and
    the IMAP poller's claim (only one worker polls at a time) and last result."""

    __tablename__ = "mail_settings"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    create_leads: bool = Field(default=True)
    lead_owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_field()
    poll_claimed_by: str = Field(default="", max_length=80)  # the worker polling now (or last)
    next_poll_at: datetime | None = None  # no worker claims the mailbox before this time
    last_poll_at: datetime | None = None
    last_poll_stored: int = Field(default=0)
    last_poll_error: str = Field(default="", max_length=300)
