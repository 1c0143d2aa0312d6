"""Imports of CSV / XLSX files: the job (file, mapping, options, counts) and what it did to each
record, so a whole import can be undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kaktus_app.models_base import created_field, text_field

IMPORT_MODULES = ("customers", "contacts", "leads", "opportunities", "products", "tickets")
DUPLICATE_ACTIONS = ("skip", "update", "create")
JOB_STATUSES = ("uploaded", "checked", "running", "done", "failed", "undone")


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_user", "created_by_id", "id"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(max_length=20)
    file_name: str = Field(max_length=200)
    stored_name: str = Field(max_length=120)  # the uploaded file, in the upload folder's imports/
    file_format: str = Field(default="csv", max_length=5)
    encoding: str = Field(default="utf-8", max_length=20)
    delimiter: str = Field(default=",", max_length=2)
    total_rows: int = Field(default=0)
    mapping: str = text_field()  # JSON {column index: field}
    match_on: str = Field(default="email,phone,name", max_length=40)
    on_duplicate: str = Field(default="skip", max_length=10)
    status: str = Field(default="uploaded", max_length=10)
    dry_run: bool = Field(default=False)  # the counts below are from a dry run
    processed: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    skipped: int = Field(default=0)
    failed: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_field()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    undone_at: datetime | None = None


class ImportIssue(SQLModel, table=True):
    """One refused row (or field) of the last run of a job: the error report."""

    __tablename__ = "import_issue"
    __table_args__ = (Index("ix_import_issue_job", "job_id", "row_number"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="import_job.id")
    row_number: int  # as a spreadsheet counts: the header is row 1
    field: str = Field(default="", max_length=40)
    message_key: str = Field(max_length=80)
    params: str = text_field()  # JSON of the message's parameters
    values: str = text_field()  # JSON list: the row as it was in the file


class ImportRecord(SQLModel, table=True):
    """A record the import created or updated (with its values before), for undo."""

    __tablename__ = "import_record"
    __table_args__ = (Index("ix_import_record_job", "job_id", "id"), {"extend_existing": True})

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="import_job.id")
    row_number: int
    record_type: str = Field(max_length=20)
    record_id: int
    action: str = Field(max_length=10)  # created / updated
    previous: str = text_field()  # JSON of the changed fields' values before the update
