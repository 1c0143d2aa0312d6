"""Expression indexes for case-insensitive prefix search on lead titles and opportunity names.

Autogenerate cannot compare expression indexes on SQLite, so they live in their own migration.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lead_title_lower", "lead", [sa.text("lower(title)")])
    op.create_index("ix_opportunity_name_lower", "opportunity", [sa.text("lower(name)")])


def downgrade() -> None:
    op.drop_index("ix_opportunity_name_lower", table_name="opportunity")
    op.drop_index("ix_lead_title_lower", table_name="lead")
