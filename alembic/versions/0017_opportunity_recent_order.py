"""The deal list's default order has an index: ``opportunity (updated_at, id)``.

The deal list shows the most recently changed deals first. Searched by a common word ("jaya" in
one deal name of twelve, 16,000 deals of 200,000), the list had to read every matching deal and
sort them: 15 to 33 ms a page. With this index the page walks the deals newest first and keeps
those whose name has the word (``search.text.opportunity_name_form``): 2 ms.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_opportunity_updated", "opportunity", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_opportunity_updated", table_name="opportunity")
