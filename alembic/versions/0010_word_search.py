"""Word-prefix search: any word of a customer, lead or opportunity name is found by its beginning.

SQLite: FTS5 tables over the names (external content: they hold only the index), kept in step by
triggers, with prefix indexes of 1-8 characters so "berd*" is a streaming read. Customers are indexed
by name_norm (already folded by the app), leads by title, company and contact names (a column filter
searches the title alone), opportunities by name; tokenizer unicode61 remove_diacritics 2.

PostgreSQL: GIN indexes on to_tsvector('simple', ...) expressions, queried with
to_tsquery('simple', 'word:*'). Raw text goes through kaktus_search_words(), which folds it the way
the app folds typed words (Latin accents dropped, lower case, split on anything but a-z and 0-9).

None of these are models: the migrations-vs-models comparison leaves them out
(kaktus_app.search.text.include_name). On SQLite a later batch ALTER of customer, lead or
opportunity recreates the table and drops its triggers: such a migration must create them again
(tests/unit/test_search.py checks that they exist at head).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_OPTIONS = "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4 5 6 7 8', columnsize=0"  # no ranking: no sizes kept

# table, FTS table, indexed columns, FTS5 detail (column filters need "column")
SQLITE_INDEXES = (
    ("customer", "customer_fts", ("name_norm",), "none"),
    ("lead", "lead_fts", ("title", "company_name", "contact_name"), "column"),
    ("opportunity", "opportunity_fts", ("name",), "none"),
)

# Latin letters with accents (U+00C0-U+024F) and the ASCII letter Python's NFKD folding leaves of them.
ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľĿŀŃńŅņŇňŉŌōŎŏŐőŔ"
    "ŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
)
UNACCENTED = (
    "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllllnnnnnnnoooooor"
    "rrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzsoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyy"
)

PG_FUNCTION = rf"""
CREATE FUNCTION kaktus_search_words(value text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple', regexp_replace(regexp_replace(lower(translate(value, '{ACCENTED}', '{UNACCENTED}')),
                                                            '[^\x01-\x7f]+', '', 'g'), '[^a-z0-9]+', ' ', 'g'))
$$
"""

PG_INDEXES = (
    ("ix_customer_name_words", "customer", "to_tsvector('simple', name_norm)"),
    ("ix_lead_title_words", "lead", "kaktus_search_words(title)"),
    ("ix_lead_text_words", "lead", "kaktus_search_words(title || ' ' || company_name || ' ' || contact_name)"),
    ("ix_opportunity_name_words", "opportunity", "kaktus_search_words(name)"),
)


def _sqlite_triggers(table: str, fts: str, columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {delete} {insert} END",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, fts, columns, detail in SQLITE_INDEXES:
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, content='{table}', content_rowid='id', "
                f"detail='{detail}', {FTS_OPTIONS})"
            )
            for statement in _sqlite_triggers(table, fts, columns):
                op.execute(statement)
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # the rows already there
    else:
        op.execute(PG_FUNCTION)
        for name, table, expression in PG_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin (({expression}))")
        op.execute("ANALYZE customer, lead, opportunity")  # statistics on the new expressions for the planner


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for _table, fts, _columns, _detail in SQLITE_INDEXES:
            for action in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{action}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    else:
        for name, _table, _expression in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS kaktus_search_words(text)")
