"""The customer's segment, province and city copied onto opportunities, leads and activities.

The dashboard filters by the record's customer's segment / province / city. At a million customers
looking the customer up for each of 200,000 deals and a million activities took 1.0-1.4 s; with
the values on the rows themselves (and indexes that lead with them) the filtered dashboard reads
only the matching rows.

Columns ``customer_segment``, ``customer_province``, ``customer_city`` (NOT NULL, default '') on
opportunity, lead and activity, filled here from the existing rows and then kept in step by
triggers, whatever writes the rows (the ORM, bulk inserts of imports, raw SQL):
- a new row, or one whose customer_id (activity: or opportunity_id) changes, takes its customer's
  values ('' without one); an activity without a customer of its own takes its opportunity's;
- a customer whose segment / province / city changes passes the new values to its opportunities,
  leads and activities; an opportunity whose copy changes passes it to its activities.

SQLite: AFTER triggers that UPDATE the row (SQLite triggers cannot assign NEW); they nest, so a
customer change reaches the activities of its opportunities. PostgreSQL: BEFORE triggers set NEW,
AFTER triggers pass changes on. The columns are added with ALTER TABLE ADD COLUMN (no table rebuild,
so the word-search triggers of 0010 stay). As with those, a later SQLite batch ALTER that rebuilds
customer, opportunity, lead or activity drops these triggers: such a migration must create them
again (tests/unit/test_customer_copy.py checks that they exist at head).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = {"segment": 40, "province": 80, "city": 80}
TABLES = ("opportunity", "lead", "activity")
# indexes for the filtered dashboard: the rows of one segment / province (and city), in the order
# the figures group them (closing day, assignee, owner) and covering what they read, so that SQLite
# prefers them to the unfiltered indexes that give the same order (models: add_customer_copy)
INDEXES = (
    ("ix_opportunity_segment_state", "opportunity", ("customer_segment", "state", "expected_closing", "stage_id", "expected_revenue", "probability", "owner_id")),
    ("ix_opportunity_province_state", "opportunity", ("customer_province", "state", "expected_closing", "stage_id", "expected_revenue", "probability", "owner_id", "customer_city")),
    ("ix_lead_segment_created", "lead", ("customer_segment", "owner_id", "created_at", "status", "source")),
    ("ix_lead_province_created", "lead", ("customer_province", "owner_id", "created_at", "status", "source", "customer_city")),
    ("ix_activity_segment_done", "activity", ("customer_segment", "assignee_id", "done", "due_at")),
    ("ix_activity_province_done", "activity", ("customer_province", "assignee_id", "done", "due_at", "customer_city")),
    # the dashboard's lead-source click filter: a source's leads per owner, index only
    ("ix_lead_source_owner", "lead", ("source", "owner_id", "created_at", "status")),
)


def _set(source: str) -> str:
    """``customer_segment = <source>.segment, ...`` (source: an alias of customer)."""
    return ", ".join(f"customer_{f} = {source}.{f}" for f in FIELDS)


def _from_customer(key: str) -> str:
    """SET list reading the customer whose id is ``key`` ('' when there is none)."""
    return ", ".join(
        f"customer_{f} = COALESCE((SELECT c.{f} FROM customer c WHERE c.id = {key}), '')" for f in FIELDS
    )


def _activity_values(row: str) -> str:
    """SET list for an activity row: its own customer's values, else its opportunity's copy, else ''."""
    parts = []
    for f in FIELDS:
        parts.append(
            f"customer_{f} = COALESCE((SELECT c.{f} FROM customer c WHERE c.id = {row}.customer_id), "
            f"(SELECT o.customer_{f} FROM opportunity o WHERE o.id = {row}.opportunity_id), '')"
        )
    return ", ".join(parts)


def _changed(old: str, new: str, prefix: str = "") -> str:
    return " OR ".join(f"{old}.{prefix}{f} IS NOT {new}.{prefix}{f}" for f in FIELDS)


COPY_LIST = ", ".join(f"customer_{f}" for f in FIELDS)
OWN_LIST = ", ".join(FIELDS)

SQLITE_TRIGGERS = [
    # opportunities and leads: their customer's values
    *(
        f"""CREATE TRIGGER kaktus_{table}_copy_insert AFTER INSERT ON {table} BEGIN
              UPDATE {table} SET {_from_customer("NEW.customer_id")} WHERE id = NEW.id;
            END"""
        for table in ("opportunity", "lead")
    ),
    *(
        f"""CREATE TRIGGER kaktus_{table}_copy_customer AFTER UPDATE OF customer_id ON {table} BEGIN
              UPDATE {table} SET {_from_customer("NEW.customer_id")} WHERE id = NEW.id;
            END"""
        for table in ("opportunity", "lead")
    ),
    # activities: their own customer's, else their opportunity's
    f"""CREATE TRIGGER kaktus_activity_copy_insert AFTER INSERT ON activity BEGIN
          UPDATE activity SET {_activity_values("NEW")} WHERE id = NEW.id;
        END""",
    f"""CREATE TRIGGER kaktus_activity_copy_record AFTER UPDATE OF customer_id, opportunity_id ON activity BEGIN
          UPDATE activity SET {_activity_values("NEW")} WHERE id = NEW.id;
        END""",
    # a customer's change reaches its records; an opportunity's copy reaches its activities
    f"""CREATE TRIGGER kaktus_customer_copy_update AFTER UPDATE OF {OWN_LIST} ON customer
        WHEN {_changed("OLD", "NEW")} BEGIN
          UPDATE opportunity SET {_set("NEW")} WHERE customer_id = NEW.id;
          UPDATE lead SET {_set("NEW")} WHERE customer_id = NEW.id;
          UPDATE activity SET {_set("NEW")} WHERE customer_id = NEW.id;
        END""",
    f"""CREATE TRIGGER kaktus_opportunity_copy_activities AFTER UPDATE OF {COPY_LIST} ON opportunity
        WHEN {_changed("OLD", "NEW", "customer_")} BEGIN
          UPDATE activity SET {", ".join(f"customer_{f} = NEW.customer_{f}" for f in FIELDS)}
           WHERE opportunity_id = NEW.id AND customer_id IS NULL;
        END""",
]
SQLITE_TRIGGER_NAMES = [
    "kaktus_opportunity_copy_insert",
    "kaktus_lead_copy_insert",
    "kaktus_opportunity_copy_customer",
    "kaktus_lead_copy_customer",
    "kaktus_activity_copy_insert",
    "kaktus_activity_copy_record",
    "kaktus_customer_copy_update",
    "kaktus_opportunity_copy_activities",
]


def _pg_select_into(key: str) -> str:
    return (
        f"SELECT {OWN_LIST} INTO {', '.join(f'NEW.customer_{f}' for f in FIELDS)} FROM customer WHERE id = {key};\n"
        f"  IF NOT FOUND THEN {' '.join(f'NEW.customer_{f} := {chr(39) * 2};' for f in FIELDS)} END IF;"
    )


PG_FUNCTIONS = {
    "kaktus_copy_from_customer": f"""
        BEGIN
          {_pg_select_into("NEW.customer_id")}
          RETURN NEW;
        END""",
    "kaktus_activity_copy": f"""
        BEGIN
          IF NEW.customer_id IS NOT NULL THEN
            {_pg_select_into("NEW.customer_id")}
          ELSE
            SELECT {COPY_LIST} INTO {", ".join(f"NEW.customer_{f}" for f in FIELDS)} FROM opportunity WHERE id = NEW.opportunity_id;
            IF NOT FOUND THEN {" ".join(f"NEW.customer_{f} := '';" for f in FIELDS)} END IF;
          END IF;
          RETURN NEW;
        END""",
    "kaktus_customer_copy_update": f"""
        BEGIN
          IF {_changed("OLD", "NEW").replace("IS NOT", "IS DISTINCT FROM")} THEN
            UPDATE opportunity SET {_set("NEW")} WHERE customer_id = NEW.id;
            UPDATE lead SET {_set("NEW")} WHERE customer_id = NEW.id;
            UPDATE activity SET {_set("NEW")} WHERE customer_id = NEW.id;
          END IF;
          RETURN NULL;
        END""",
    "kaktus_opportunity_copy_activities": f"""
        BEGIN
          IF {_changed("OLD", "NEW", "customer_").replace("IS NOT", "IS DISTINCT FROM")} THEN
            UPDATE activity SET {", ".join(f"customer_{f} = NEW.customer_{f}" for f in FIELDS)}
             WHERE opportunity_id = NEW.id AND customer_id IS NULL;
          END IF;
          RETURN NULL;
        END""",
}
PG_TRIGGERS = [
    (
        "kaktus_opportunity_copy",
        "BEFORE INSERT OR UPDATE OF customer_id",
        "opportunity",
        "kaktus_copy_from_customer",
    ),
    ("kaktus_lead_copy", "BEFORE INSERT OR UPDATE OF customer_id", "lead", "kaktus_copy_from_customer"),
    (
        "kaktus_activity_copy",
        "BEFORE INSERT OR UPDATE OF customer_id, opportunity_id",
        "activity",
        "kaktus_activity_copy",
    ),
    ("kaktus_customer_copy_update", f"AFTER UPDATE OF {OWN_LIST}", "customer", "kaktus_customer_copy_update"),
    # customer_id too: a column a BEFORE trigger sets is not in the statement's UPDATE OF list
    (
        "kaktus_opportunity_copy_activities",
        f"AFTER UPDATE OF customer_id, {COPY_LIST}",
        "opportunity",
        "kaktus_opportunity_copy_activities",
    ),
]


def upgrade() -> None:
    for table in TABLES:
        for field, length in FIELDS.items():
            op.add_column(
                table, sa.Column(f"customer_{field}", sa.String(length), nullable=False, server_default="")
            )
    # the rows already there
    op.execute(
        f"UPDATE opportunity SET {_from_customer('opportunity.customer_id')} WHERE customer_id IS NOT NULL"
    )
    op.execute(f"UPDATE lead SET {_from_customer('lead.customer_id')} WHERE customer_id IS NOT NULL")
    op.execute(
        f"UPDATE activity SET {_activity_values('activity')} WHERE customer_id IS NOT NULL OR opportunity_id IS NOT NULL"
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns))
    if op.get_bind().dialect.name == "postgresql":
        for name, body in PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        for name, when, table, function in PG_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _, table, _ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    for table in TABLES:
        for field in FIELDS:
            op.drop_column(table, f"customer_{field}")
