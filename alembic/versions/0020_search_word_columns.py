"""PostgreSQL: the words of lead and deal names as stored text, to test a row's words where it is read.

``kaktus_search_words`` (migration 0010) folds a text and makes its tsvector: 22 µs a row. A page that
walks an order's index testing each row (a deal list searched by a common word, the newest deals of
a global search) paid that for every row it read, so walks had to stay short and the GIN index had
to gather every match instead (14 ms for "1 jaya" in 200,000 deals). These generated columns hold
the same words as text, one space before each (" prasmanan jaya 4242"), so that
``words LIKE ALL ('{% prasmanan%, % jay%}')`` tests a row in 0.4 µs; and, being columns, they have
statistics: the planner knows how common a word is and walks the order's index by itself when it is.

- ``opportunity.name_words``: the name;
- ``lead.text_words``: title, company and contact (the GIN index ``ix_lead_text_words``);
- ``lead.title_words``: the title alone (``ix_lead_title_words``, when company and contact are hidden).

They are the GIN indexes' words exactly: ``kaktus_word_text(v)`` is the text that
``kaktus_search_words(v)`` turns into a tsvector. SQLite needs none of this (its FTS5 index looks a
row up by id). Adding them rewrites both tables: about 50 s at a million customers.

Revision ID: 0020
Revises: 0019
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _accents() -> tuple[str, str]:
    """The accented letters and their ASCII letters, as migration 0010 folds them."""
    spec = importlib.util.spec_from_file_location("migration_0010", Path(__file__).with_name("0010_word_search.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ACCENTED, module.UNACCENTED


# table, column, the text whose words it holds (as in the GIN index of migration 0010)
COLUMNS = (
    ("opportunity", "name_words", "name"),
    ("lead", "text_words", "title || ' ' || company_name || ' ' || contact_name"),
    ("lead", "title_words", "title"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    accented, unaccented = _accents()
    op.execute(
        "CREATE FUNCTION kaktus_word_text(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$"
        f" SELECT ' ' || regexp_replace(regexp_replace(lower(translate(value, '{accented}', '{unaccented}')),"
        r" '[^\x01-\x7f]+', '', 'g'), '[^a-z0-9]+', ' ', 'g') $$"
    )
    for table in ("opportunity", "lead"):
        added = [f"ADD COLUMN {column} text GENERATED ALWAYS AS (kaktus_word_text({source})) STORED" for t, column, source in COLUMNS if t == table]
        op.execute(f"ALTER TABLE {table} {', '.join(added)}")
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, _source in COLUMNS:
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column}")
    op.execute("DROP FUNCTION IF EXISTS kaktus_word_text(text)")
