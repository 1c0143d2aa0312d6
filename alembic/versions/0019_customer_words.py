"""PostgreSQL: every word of every customer name, one row each: ``customer_word (word, customer_id)``.

A customer list searched by a common word alone ("jaya": one name in twelve) shows the first page
and the number of matches, capped at 10,000. The GIN index of migration 0010 cannot stop early: it
reads all 82,000 matches (28 ms at a million customers), and testing the names row by row until
10,001 match reads 125,000 rows (30 to 50 ms). In this table, in (word, customer_id) order, the
customers with a word starting with "jaya" are one range of the primary key: the first 10,001 of
it are read from the index alone (2 to 3 ms) and counted exactly (``search.text.word_count``).

The words are those of ``name_norm`` (single spaces between [a-z0-9] words, legal forms dropped),
split on its spaces: a customer has a row for ``w`` exactly when ``' ' || name_norm LIKE '% w%'``
finds it by ``w`` itself. The C collation makes a prefix one range in code point order, as
``validation.prefix_upper_bound`` reckons. A row trigger on customer keeps the table exact whatever
writes the names (forms, imports, merges, raw SQL, a TRUNCATE); there is no foreign key, whose cascade would need
an index by customer: the trigger deletes a customer's rows by its old words. Rows of different
customers never share a key, so concurrent writes do not wait for each other.

SQLite needs none of this: its FTS5 index counts the matches of a word in a read that stops at the
cap. At a million customers the table holds about 3 million rows (240 MB with its index).

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the words of {row}'s name (of each customer, with ``rows`` "customer, "): name_norm split on its spaces, each once
WORDS = "SELECT DISTINCT w, {row}.id FROM {rows}unnest(string_to_array({row}.name_norm, ' ')) AS w WHERE w <> ''"

FUNCTION = f"""CREATE FUNCTION kaktus_customer_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.name_norm IS NOT DISTINCT FROM OLD.name_norm AND NEW.id = OLD.id THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM customer_word WHERE customer_id = OLD.id AND word = ANY(string_to_array(coalesce(OLD.name_norm, ''), ' '));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO customer_word (word, customer_id) {WORDS.format(row="NEW", rows="")};
    END IF;
    RETURN NULL;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('CREATE TABLE customer_word (word text COLLATE "C" NOT NULL, customer_id integer NOT NULL, PRIMARY KEY (word, customer_id))')
    op.execute(f"INSERT INTO customer_word (word, customer_id) {WORDS.format(row='customer', rows='customer, ')}")
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER kaktus_customer_words AFTER INSERT OR DELETE OR UPDATE OF name_norm, id ON customer"
        " FOR EACH ROW EXECUTE FUNCTION kaktus_customer_words()"
    )
    op.execute("CREATE FUNCTION kaktus_customer_words_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE customer_word; RETURN NULL; END $$")
    op.execute("CREATE TRIGGER kaktus_customer_words_truncate AFTER TRUNCATE ON customer FOR EACH STATEMENT EXECUTE FUNCTION kaktus_customer_words_truncate()")
    op.execute("ANALYZE customer_word")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in ("kaktus_customer_words", "kaktus_customer_words_truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON customer")
        op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    op.execute("DROP TABLE IF EXISTS customer_word")
