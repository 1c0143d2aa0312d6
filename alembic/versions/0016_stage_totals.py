"""Each stage's count and sums of deals, kept by triggers: ``opportunity_stage_total``.

Opening the board summed every open and won deal by stage (a GROUP BY over 185,000 of 200,000
rows at a million customers: 50 to 90 ms on PostgreSQL, half of the board). Now one row per
(stage, state) holds the number of deals and the sums of expected revenue and of expected revenue ×
probability, in whole cents (SQLite keeps NUMERIC as floating point: integer cents never drift).
The board reads them when it shows everybody's deals without a filter; a filtered board (mine, an
owner, a tag, a search, a user who sees only some owners) still sums its own rows.

Triggers on opportunity keep the rows exact whatever writes the deals (forms, moves, won / lost /
restore, imports, bulk inserts, raw SQL, deletes):
- SQLite: AFTER INSERT / DELETE / UPDATE OF stage_id, state, expected_revenue, probability;
- PostgreSQL: one AFTER row trigger; a move takes the two rows in key order, so that two moves in
  opposite directions wait for each other instead of deadlocking.
As with 0010 and 0014, a later SQLite batch ALTER that rebuilds opportunity drops these triggers:
such a migration must create them again (tests/unit/test_stage_totals.py checks them at head).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_CENTS = "CAST(ROUND({row}.expected_revenue * 100) AS INTEGER)"
PG_CENTS = "round({row}.expected_revenue * 100)::bigint"


def _sqlite_change(row: str, sign: str) -> str:
    cents = SQLITE_CENTS.format(row=row)
    return (
        f"UPDATE opportunity_stage_total SET deals = deals {sign} 1, expected_cents = expected_cents {sign} {cents}, "
        f"weighted_cents = weighted_cents {sign} {cents} * {row}.probability WHERE stage_id = {row}.stage_id AND state = {row}.state;"
    )


def _sqlite_row(row: str) -> str:
    return (
        "INSERT INTO opportunity_stage_total (stage_id, state, deals, expected_cents, weighted_cents) "
        f"VALUES ({row}.stage_id, {row}.state, 0, 0, 0) ON CONFLICT (stage_id, state) DO NOTHING;"
    )


SQLITE_TRIGGERS = {
    "kaktus_stage_total_insert": f"AFTER INSERT ON opportunity BEGIN {_sqlite_row('NEW')} {_sqlite_change('NEW', '+')} END",
    "kaktus_stage_total_delete": f"AFTER DELETE ON opportunity BEGIN {_sqlite_change('OLD', '-')} END",
    "kaktus_stage_total_update": (
        "AFTER UPDATE OF stage_id, state, expected_revenue, probability ON opportunity BEGIN "
        f"{_sqlite_change('OLD', '-')} {_sqlite_row('NEW')} {_sqlite_change('NEW', '+')} END"
    ),
}

PG_FUNCTIONS = {
    "kaktus_stage_total_add": """(p_stage integer, p_state varchar, p_sign integer, p_revenue numeric, p_probability integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO opportunity_stage_total AS t (stage_id, state, deals, expected_cents, weighted_cents)
    VALUES (p_stage, p_state, p_sign, p_sign * round(p_revenue * 100)::bigint, p_sign * round(p_revenue * 100)::bigint * p_probability)
    ON CONFLICT (stage_id, state) DO UPDATE SET deals = t.deals + EXCLUDED.deals,
        expected_cents = t.expected_cents + EXCLUDED.expected_cents, weighted_cents = t.weighted_cents + EXCLUDED.weighted_cents
$$""",
    "kaktus_stage_total": """() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM kaktus_stage_total_add(NEW.stage_id, NEW.state, 1, NEW.expected_revenue, NEW.probability);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM kaktus_stage_total_add(OLD.stage_id, OLD.state, -1, OLD.expected_revenue, OLD.probability);
    ELSIF (OLD.stage_id, OLD.state, OLD.expected_revenue, OLD.probability) IS DISTINCT FROM (NEW.stage_id, NEW.state, NEW.expected_revenue, NEW.probability) THEN
        IF (OLD.stage_id, OLD.state) <= (NEW.stage_id, NEW.state) THEN  -- the two rows in key order
            PERFORM kaktus_stage_total_add(OLD.stage_id, OLD.state, -1, OLD.expected_revenue, OLD.probability);
            PERFORM kaktus_stage_total_add(NEW.stage_id, NEW.state, 1, NEW.expected_revenue, NEW.probability);
        ELSE
            PERFORM kaktus_stage_total_add(NEW.stage_id, NEW.state, 1, NEW.expected_revenue, NEW.probability);
            PERFORM kaktus_stage_total_add(OLD.stage_id, OLD.state, -1, OLD.expected_revenue, OLD.probability);
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
}


def upgrade() -> None:
    op.create_table(
        "opportunity_stage_total",
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("expected_cents", sa.BigInteger(), nullable=False),
        sa.Column("weighted_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stage_id", "state"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    cents = (PG_CENTS if postgres else SQLITE_CENTS).format(row="opportunity")
    op.execute(
        "INSERT INTO opportunity_stage_total (stage_id, state, deals, expected_cents, weighted_cents) "
        f"SELECT stage_id, state, count(*), coalesce(sum({cents}), 0), coalesce(sum({cents} * probability), 0) FROM opportunity GROUP BY stage_id, state"
    )
    if postgres:
        for name, body in PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}{body}")
        op.execute(
            "CREATE TRIGGER kaktus_stage_total AFTER INSERT OR DELETE OR UPDATE OF stage_id, state, expected_revenue, probability"
            " ON opportunity FOR EACH ROW EXECUTE FUNCTION kaktus_stage_total()"
        )
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS kaktus_stage_total ON opportunity")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("opportunity_stage_total")
