"""Word-prefix search over names: any word of a name is found by its beginning.

"berd" finds "PT. Kaktus Berduri" and "sinar wij" finds "CV. Sinar Wijaya Abadi": every typed word
must begin some word of the name, in any order. The words are indexed by migration 0010:

- SQLite: FTS5 tables (``customer_fts``, ``lead_fts``, ``opportunity_fts``) over the names, kept in
  step by triggers, queried with ``MATCH '"sinar"* "wij"*'`` (prefix indexes make that a streaming
  read);
- PostgreSQL: GIN indexes on ``to_tsvector('simple', ...)`` expressions, queried with
  ``@@ to_tsquery('simple', 'sinar:* & wij:*')``.

Both see the same words: customers are indexed by ``name_norm`` (already folded by
``normalise_name``: ASCII, lower case, legal forms dropped); leads and opportunities by their raw text,
folded by FTS5's ``unicode61 remove_diacritics 2`` tokenizer on SQLite and by the SQL function
``kaktus_search_words`` on PostgreSQL (accents of Latin letters dropped, split on anything but a-z
and 0-9). Letters without an ASCII form (ß, ø, non-Latin scripts) may differ between the two.

The clauses are SQL elements compiled per dialect, so services that hold no session (list filters)
use them like any other WHERE clause. They cost time in proportion to the matching rows; for
customers, whose ``name_norm`` allows the same test row by row (``LIKE '% word%'``), a query with a
LIMIT walks its ORDER BY index instead when the words are common (:func:`customer_name_form`).

The objects themselves are not models: the migrations-vs-models comparison leaves them out through
:func:`include_name`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import String, and_, bindparam, column, exists, func, literal, literal_column, table, text
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import ARRAY, Boolean, Integer
from sqlmodel import Session, select

from kaktus_app.customers.models import Customer
from kaktus_app.leads.models import Lead
from kaktus_app.prepared import Prepared
from kaktus_app.sales.models import Opportunity
from kaktus_app.validation import LEGAL_FORMS, prefix_upper_bound

MAX_WORDS = 8  # more typed words than this add nothing but cost
FTS_PREFIX_MAX = 8  # the FTS5 tables keep prefix indexes for 1..8 characters (migration 0010)
DENSE = 1000  # words in more customer names than this: a page walks the name index (customer_name_form)
COUNT_WALK_SHARE = 0.05  # words in more than this share of names: the capped count walks too
RARE_SHARE = 0.02  # PostgreSQL: a token in at most this share of the newest rows is asked of the GIN index alone (pg_word_params)
TOKEN_SAMPLE = 2_000  # PostgreSQL: the newest rows that tell how common each typed word is
SAMPLE = 5_000  # customers looked at to estimate how common the typed words are (PostgreSQL)

# The database objects of the word search (migration 0010). FTS5 adds shadow tables named
# "<table>_data", "<table>_idx", "<table>_config", "<table>_docsize".
FTS_TABLES = ("customer_fts", "lead_fts", "opportunity_fts")
WORD_TABLES = ("customer_word",)  # PostgreSQL: the words of customer names, in b-tree order (migration 0019)
WORD_INDEXES = ("ix_customer_name_words", "ix_lead_title_words", "ix_lead_text_words", "ix_opportunity_name_words")
# PostgreSQL: the words of lead and deal names as stored text (migration 0020), by table
WORD_COLUMNS = {"lead": ("text_words", "title_words"), "opportunity": ("name_words",)}


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's ``include_name`` hook: the word-search tables and indexes are not models.

    Used by alembic/env.py (autogenerate); a comparison of migrations and models passes it as
    ``MigrationContext.configure(conn, opts={"include_name": include_name})``.
    """
    if name is None:
        return True
    if type_ == "table":
        return name not in WORD_TABLES and not any(name == table or name.startswith(table + "_") for table in FTS_TABLES)
    if type_ == "index":
        return name not in WORD_INDEXES
    if type_ == "column":
        return name not in WORD_COLUMNS.get(parent_names.get("table_name"), ())
    return True


# ------------------------------------------------------------------------------------ typed words


def fold(typed: str) -> str:
    """ASCII, lower case: the folding of ``normalise_name`` (accents dropped)."""
    return unicodedata.normalize("NFKD", typed or "").encode("ascii", "ignore").decode().lower()


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def words(typed: str) -> list[str]:
    """The typed words, folded, each once, in typed order (at most ``MAX_WORDS``)."""
    seen: list[str] = []
    for word in _NOT_WORD.split(fold(typed)):
        if word and word not in seen:
            seen.append(word)
    return seen[:MAX_WORDS]


def name_words(typed: str) -> list[str]:
    """Typed words to look up in customer names, whose index leaves out legal forms (PT, CV...).

    A lone legal-form word stays: "fa" may be the start of "Fajar".
    """
    return without_legal_forms(words(typed))


def without_legal_forms(found: list[str]) -> list[str]:
    """``name_words`` of words already split by ``words``."""
    kept = [w for w in found if w not in LEGAL_FORMS]
    return kept or found[-1:]


# ------------------------------------------------------------------------------- the SQL clauses


@dataclass(frozen=True)
class WordIndex:
    """One indexed text: its FTS5 table (and column filter) on SQLite, its GIN expression on PostgreSQL."""

    table: str
    fts_table: str
    fts_columns: str  # "" = every column of the FTS table, else an FTS5 column filter "{title}"
    pg_expression: str  # exactly the expression of the GIN index
    prefix_only: bool = False  # tokens longer than FTS_PREFIX_MAX are cut (the caller re-checks them)
    pg_words: str = ""  # PostgreSQL: the column holding the same words as text (migration 0020)


INDEXES = {
    "customer_name": WordIndex("customer", "customer_fts", "", "to_tsvector('simple', name_norm)", prefix_only=True),
    "lead_text": WordIndex("lead", "lead_fts", "", "kaktus_search_words(title || ' ' || company_name || ' ' || contact_name)", pg_words="text_words"),
    "lead_title": WordIndex("lead", "lead_fts", "{title}", "kaktus_search_words(title)", pg_words="title_words"),
    "opportunity_name": WordIndex("opportunity", "opportunity_fts", "", "kaktus_search_words(name)", pg_words="name_words"),
}


def _fts_query(index: WordIndex, tokens: list[str]) -> str:
    cut = FTS_PREFIX_MAX if index.prefix_only else None
    query = " ".join(f'"{t[:cut]}"*' for t in tokens)
    return f"{index.fts_columns} : ({query})" if index.fts_columns else query


def _ts_query(tokens: list[str]) -> str:
    return " & ".join(f"{t}:*" for t in tokens)


class WordMatch(ColumnElement[bool]):
    """``row matches every typed word``: its id is among those the word index gives.

    Both forms fetch the matching ids first, once per statement (SQLite materialises the IN list;
    PostgreSQL runs the ARRAY() as an init plan, planned alone: a bitmap scan of the GIN index). The
    PostgreSQL planner guesses 2% for any prefix query, and would otherwise walk an ORDER BY index
    testing every row — seconds at a million rows when the word is rare. So a match costs time in
    proportion to the matching rows, never to the table.
    """

    __visit_name__ = "kaktus_word_match"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition in itself: no "= 1" appended on SQLite (which would hide the index)
    _traverse_internals = [
        ("key", InternalTraversal.dp_string),
        ("id_column", InternalTraversal.dp_clauseelement),
        ("fts_query", InternalTraversal.dp_clauseelement),
        ("ts_query", InternalTraversal.dp_clauseelement),
        ("plain", InternalTraversal.dp_boolean),
        ("like", InternalTraversal.dp_boolean),
        ("like_query", InternalTraversal.dp_clauseelement),
        ("rest_query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, key: str, id_column, tokens: list[str] | None, *, param: str = "", plain: bool = False, like: bool = False):
        """With ``param`` (and no tokens) the query is left to the named parameters ``<param>_fts`` /
        ``<param>_ts`` (a prepared statement; :func:`word_params` gives their values).

        ``plain`` (PostgreSQL): the row's own words are tested (``<expression> @@ query``, the
        expression's columns unqualified), which the planner may answer from the GIN index as a
        bitmap: a capped count then stops at its LIMIT instead of first gathering every match into
        an array (the lead list's count of "pax", in 300,000 leads: 14 ms against 160). Over a
        subquery with the same column names it tests each of the subquery's rows.

        ``like`` (PostgreSQL, leads and deals): the row's words are tested in their stored text
        (``<words column> LIKE ALL (patterns)``, migration 0020, the column unqualified as for
        ``plain``): 0.4 µs a row against the tsvector's 22, and with the column's statistics the
        planner knows how common the words are. No index serves it: for walks of an order's index
        that stop at a LIMIT, when the words are common."""
        self.key = key
        self.id_column = id_column
        self.plain = plain
        self.like = like
        if param:
            self.fts_query = bindparam(f"{param}_fts", type_=String())
            self.ts_query = bindparam(f"{param}_ts", type_=String())
            self.like_query = bindparam(f"{param}_like", type_=ARRAY(String()))
            self.rest_query = bindparam(f"{param}_rest", type_=ARRAY(String()))
        else:
            values = word_params(key, tokens, "")
            self.fts_query = bindparam(None, values["_fts"], type_=String(), unique=True)
            self.ts_query = bindparam(None, values["_ts"], type_=String(), unique=True)
            self.like_query = bindparam(None, values["_like"], type_=ARRAY(String()), unique=True)
            self.rest_query = bindparam(None, values["_rest"], type_=ARRAY(String()), unique=True)


_MODELS = {"lead": Lead, "opportunity": Opportunity}


def _token_sample(shape) -> object:
    """PostgreSQL: of the newest rows (ids above ``:newest_from``), how many have a word beginning
    with each of the shape's tokens (``:t0``, ``:t1``...), tested in their stored words."""
    key, count = shape
    index = INDEXES[key]
    shares = ", ".join(f"count(*) FILTER (WHERE {index.pg_words} LIKE :t{i}) AS t{i}" for i in range(count))
    return text(f"SELECT {shares} FROM {index.table} WHERE id > :newest_from").columns(*[column(f"t{i}", Integer()) for i in range(count)])


_TOKEN_SAMPLE = Prepared(_token_sample)


def pg_word_params(session: Session, key: str, tokens: list[str], param: str) -> dict:
    """``word_params`` for a search of leads or deals, on PostgreSQL with the GIN index asked only
    for the rare tokens when some are and others are common.

    The index reads every word beginning with each token it is asked for and then rechecks each
    row it finds with the tsvector (22 µs a row), so the tokens it is asked for decide the cost. A
    common token beside a rare one is better tested on the rare one's rows in their stored words:
    "1:*" is the start of the words of 111,111 of 200,000 deals, and "1 jaya" took 10 ms in leads,
    where "jaya" is in none, against 0.5 ms this way. Tokens all common or all rare are asked
    together, intersected in the index ("nasi 50", each in a quarter of the leads or more: asking
    for "nasi" alone would recheck 45,000 leads, 1.3 s). How common a token is: its share of the
    newest ``TOKEN_SAMPLE`` rows (1 ms), kept for the session."""
    index = INDEXES[key]
    if len(tokens) < 2 or not index.pg_words or session.get_bind().dialect.name != "postgresql":
        return word_params(key, tokens, param)
    cache = session.info.setdefault("word_search", {})
    shares_key = ("shares", key, *tokens)
    if shares_key not in cache:
        total = table_total(session, _MODELS[index.table])
        counts = _TOKEN_SAMPLE.rows(session, (key, len(tokens)), {"newest_from": total - TOKEN_SAMPLE} | {f"t{i}": p for i, p in enumerate(_like_patterns(tokens))})[0]
        cache[shares_key] = [c / max(1, min(TOKEN_SAMPLE, total)) for c in counts]
    rare = [t for t, share in zip(tokens, cache[shares_key], strict=True) if share <= RARE_SHARE]
    return word_params(key, tokens, param, asked=rare if rare and len(rare) < len(tokens) else None)


def _like_patterns(tokens: list[str]) -> list[str]:
    """``LIKE`` patterns of words beginning with each token, in a text of words each after a space."""
    return [f"% {t}%" for t in tokens]


def word_params(key: str, tokens: list[str], param: str, asked: list[str] | None = None) -> dict:
    """The values of a ``WordMatch(key, column, None, param=param)`` for ``tokens``.

    ``asked`` (PostgreSQL, leads and deals: :func:`pg_word_params`): the tokens the GIN index is
    asked for; the others are tested on the rows it finds, in their stored words (``<param>_rest``).
    Kept for the words typed lately (a search runs on every keystroke): the dict is shared, never
    changed by its users (they merge it into their own)."""
    return _word_params(key, tuple(tokens), param, None if asked is None else tuple(asked))


@lru_cache(maxsize=1024)
def _word_params(key: str, tokens: tuple[str, ...], param: str, asked: tuple[str, ...] | None) -> dict:
    index = INDEXES[key]
    asked = tokens if asked is None or not index.pg_words else asked
    rest = [t for t in tokens if t not in asked]
    return {
        f"{param}_fts": _fts_query(index, tokens), f"{param}_ts": _ts_query(asked),
        f"{param}_like": _like_patterns(tokens), f"{param}_rest": _like_patterns(rest),
    }


@compiles(WordMatch, "sqlite")
def _word_match_sqlite(element: WordMatch, compiler, **kw) -> str:
    table = INDEXES[element.key].fts_table
    return (
        f"{compiler.process(element.id_column, **kw)} IN "
        f"(SELECT rowid FROM {table} WHERE {table} MATCH {compiler.process(element.fts_query, **kw)})"
    )


@compiles(WordMatch, "postgresql")
def _word_match_postgresql(element: WordMatch, compiler, **kw) -> str:
    index = INDEXES[element.key]
    if element.like:
        if not index.pg_words:
            raise CompileError(f"{element.key} has no stored words")
        return f"{index.pg_words} LIKE ALL ({compiler.process(element.like_query, **kw)})"
    found = f"{index.pg_expression} @@ to_tsquery('simple', {compiler.process(element.ts_query, **kw)})"
    if index.pg_words:  # the tokens the index was not asked for (word_params)
        rest = compiler.process(element.rest_query, **kw)
        # with nothing more to test (one token) the planner drops the column, so a count needs no table reads
        found = f"({found} AND (cardinality({rest}) = 0 OR {index.pg_words} LIKE ALL ({rest})))"
    if element.plain:
        return found
    return f"{compiler.process(element.id_column, **kw)} = ANY(ARRAY(SELECT id FROM {index.table} WHERE {found}))"


@compiles(WordMatch)
def _word_match_other(element: WordMatch, compiler, **kw) -> str:
    raise CompileError(f"word search is not available on {compiler.dialect.name}")


def customer_name_form(session: Session, tokens: list[str], *, counting: bool = False) -> str:
    """How a query with a LIMIT finds customer names with every token: "walk", "index" or "index+like".

    The index form costs time in proportion to the matching names. When a word is common ("jaya" in
    one name of twelve), walking the name (or sort) index and testing each row's ``name_norm`` finds
    the rows of a page at once ("walk"); a capped count (``counting``) walks until it has counted
    enough, so it walks only when the matches are very common. A token longer than the prefix
    indexes is looked up by its first characters, then tested row by row ("index+like").
    """
    if counting:
        total = _customer_total(session)
        walk = bool(total) and _word_matches(session, tokens, int(total * COUNT_WALK_SHARE) + 1) > total * COUNT_WALK_SHARE
    else:
        walk = _word_matches(session, tokens, DENSE) >= DENSE
    if walk:
        return "walk"
    return "index+like" if any(len(t) > FTS_PREFIX_MAX for t in tokens) else "index"


def customer_name_prepared(form: str, count: int, param: str, column=None):
    """Customers (companies and contacts) whose name has a word beginning with each of ``count``
    tokens, in ``form`` (:func:`customer_name_form`), the values left to named parameters
    (:func:`customer_name_params`). "walk" tests each row's ``name_norm`` (single spaces between
    [a-z0-9] words) with ``LIKE '% token%'``: the same test as the index, row by row."""
    column = Customer.name_norm if column is None else column
    like = and_(*[(literal(" ") + column).like(bindparam(f"{param}_like_{i}", type_=String())) for i in range(count)])
    if form == "walk":
        return like
    match = WordMatch("customer_name", Customer.id, None, param=param)
    return and_(match, like) if form == "index+like" else match


def customer_name_params(form: str, tokens: list[str], param: str) -> dict[str, str]:
    """The values of ``customer_name_prepared(form, len(tokens), param)`` (shared, as ``word_params``'s)."""
    return _customer_name_params(form, tuple(tokens), param)


@lru_cache(maxsize=1024)
def _customer_name_params(form: str, tokens: tuple[str, ...], param: str) -> dict[str, str]:
    params = {f"{param}_like_{i}": f"% {t}%" for i, t in enumerate(tokens)} if form != "index" else {}
    if form != "walk":
        params.update(word_params("customer_name", tokens, param))
    return params


# The estimates below, compiled once (they run before every customer page searched by words).
_TOTAL = Prepared(lambda shape: select(func.max(Customer.id)))
def _fts_count(key: str) -> Prepared:
    """SQLite: the rows of a word index matching ``:name_fts``, a streaming read that stops at ``:cap``."""
    fts = INDEXES[key].fts_table
    return Prepared(
        lambda shape: select(func.count()).select_from(
            select(literal_column("1")).select_from(table(fts)).where(text(f"{fts} MATCH :name_fts")).limit(bindparam("cap")).subquery()
        )
    )


_FTS_COUNTS = {key: _fts_count(key) for key in ("customer_name", "opportunity_name", "lead_text", "lead_title")}
_TOTALS = {model: Prepared(lambda shape, model=model: select(func.max(model.id))) for model in (Opportunity, Lead)}
WALK_ROWS = 20_000  # a page that walks its order index reads about this many rows at most (opportunity_name_walks)
EXISTS_WALK_ROWS = 2_000  # the same for a walk that looks each row up in the word index (25 µs a row: word_exists)


def _sample_count(words: int):
    """PostgreSQL: how many of the oldest ``SAMPLE`` customers have every word (row by row)."""
    sample = select(Customer.name_norm).order_by(Customer.id).limit(SAMPLE).subquery()
    return select(func.count()).select_from(sample).where(customer_name_prepared("walk", words, "name", column=sample.c.name_norm))


_SAMPLE_COUNT = Prepared(_sample_count)


def _customer_total(session: Session) -> int:
    cache = session.info.setdefault("word_search", {})
    if "total" not in cache:
        cache["total"] = _TOTAL.scalar(session, None) or 0  # the number of customers, near enough
    return cache["total"]


def _word_matches(session: Session, tokens: list[str], cap: int, *, fresh: bool = False, index: str = "customer_name") -> int:
    """How many rows of a word index have every token, up to ``cap``: customers by their name, or
    (``index``) leads or deals (kept for the session: a list asks for its count and its page).

    SQLite counts in the FTS5 index (a streaming read that stops at ``cap``). PostgreSQL's GIN
    index cannot stop early, so the count is estimated from the oldest ``SAMPLE`` customers (exact
    when there are fewer); a poor estimate costs time, never results. ``index``: another word index
    to count in (SQLite only).
    """
    cache = session.info.setdefault("word_search", {})
    key = (index, *tokens)
    if not fresh and key in cache and (cache[key][1] >= cap or cache[key][0] < cache[key][1]):
        # counted before up to a higher cap (a list counts for its count first), or found fewer than that cap: exact
        return min(cache[key][0], cap)
    if session.get_bind().dialect.name == "sqlite":
        found = int(_FTS_COUNTS[index].scalar(session, None, word_params(index, tokens, "name") | {"cap": cap}))
    else:
        total = _customer_total(session)
        hits = _SAMPLE_COUNT.scalar(session, len(tokens), customer_name_params("walk", tokens, "name"))
        found = min(cap, round(hits * total / min(SAMPLE, total))) if total else 0
    _remember(session, key, found, cap)
    return found


def _remember(session: Session, key: tuple, found: int, cap: int) -> None:
    """Keep a word count for the session: ``key`` is (word index, *tokens), ``found`` counted up to ``cap``."""
    session.info.setdefault("word_search", {})[key] = (found, cap)


# PostgreSQL: of the first ``:cap`` customer-word rows of one prefix (migration 0019), how many were
# read and how many customers they are, from the primary key alone
_CUSTOMER_WORDS = Prepared(
    lambda shape: text(
        "SELECT count(*) AS read, count(DISTINCT customer_id) AS found FROM"
        " (SELECT customer_id FROM customer_word WHERE word >= :lo AND word < :hi LIMIT :cap) AS probe"
    ).columns(read=Integer(), found=Integer())
)


def _customer_word_count(session: Session, token: str, cap: int) -> int | None:
    """How many customers have a name word beginning with ``token``, up to ``cap``, from the first
    ``cap`` rows of its range in ``customer_word``: all of the range (the count is exact), or ``cap``
    rows of as many customers (there are at least ``cap``). None when those rows repeat customers
    ("jaya" and "jayakarta" in one name): count the rows. Kept as the estimate for the page."""
    read, found = _CUSTOMER_WORDS.rows(session, None, {"lo": token, "hi": prefix_upper_bound(token), "cap": cap})[0]
    if read == cap and found < cap:
        return None
    _remember(session, ("customer_name", token), found, cap)
    return found


def word_count(session: Session, key: str, tokens: list[str], cap: int) -> int | None:
    """The exact number of rows whose words begin with every token (word index ``key``), up to
    ``cap``, where the word index alone can tell: on SQLite, for a prefix-only index tokens no
    longer than its prefixes (a streaming read of the FTS5 index that stops at ``cap``; always read
    anew, since the session may have added rows, and kept as the estimate for the page); on
    PostgreSQL, customers searched by one word, from ``customer_word`` (:func:`_customer_word_count`).
    None: count the rows.

    A list searched by a common word alone ("jaya": one customer name in twelve) would otherwise
    count by testing names row by row, or every match, until ``cap``: 23 to 40 ms at a million
    customers, against 1 ms here (3 ms on PostgreSQL).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and key == "customer_name" and len(tokens) == 1:
        return _customer_word_count(session, tokens[0], cap)
    if dialect != "sqlite" or not tokens or key not in _FTS_COUNTS:
        return None
    if INDEXES[key].prefix_only and any(len(t) > FTS_PREFIX_MAX for t in tokens):
        return None
    return _word_matches(session, tokens, cap, fresh=True, index=key)


def walk_length(session: Session, model, rows: int, matched: int) -> float:
    """About how many of ``model``'s rows a walk of an order's index reads to find ``rows`` of
    ``matched`` matching rows (the matches' share of the table, spread evenly)."""
    return rows * table_total(session, model) / max(matched, 1)


def stored_words(key: str):
    """PostgreSQL: the column of word index ``key``'s stored words (migration 0020), to select into
    a subquery that a ``WordMatch(like=True)`` then tests."""
    return literal_column(INDEXES[key].pg_words)


def table_total(session: Session, model) -> int:
    """The rows of ``model``'s table, near enough (its highest id), once per session."""
    cache = session.info.setdefault("word_search", {})
    if model.__tablename__ not in cache:
        cache[model.__tablename__] = _TOTALS[model].scalar(session, None) or 0
    return cache[model.__tablename__]


def opportunity_name_walks(session: Session, found: int, rows: int) -> bool:
    """Whether a deal page of the first ``rows`` rows in the recent-first order, of ``found``
    matching deals (``word_count``), is found faster by walking that order's index (migration
    0017) and testing each deal than by reading every match and sorting: when the word is common
    and the walk reads fewer than ``WALK_ROWS`` rows (SQLite)."""
    if found < DENSE or session.get_bind().dialect.name != "sqlite":
        return False
    return walk_length(session, Opportunity, rows, found) <= WALK_ROWS


def lead_walks(session: Session, key: str, tokens: list[str], rows: int) -> bool:
    """Whether a lead page of the first ``rows`` rows in its order is found faster by walking the
    order's index and looking each lead up in the word index (:func:`word_exists`) than by reading
    every match and sorting: when the words are in more than ``DENSE`` leads and, at their share
    of the leads, the walk reads fewer than ``EXISTS_WALK_ROWS`` (SQLite). "pax" is in nearly every
    lead title: its 300,000 matches took 0.2 s to read at a million customers, the walk 1 ms."""
    if session.get_bind().dialect.name != "sqlite" or not tokens:
        return False
    total = table_total(session, Lead)
    needed = -(-rows * total // EXISTS_WALK_ROWS)  # this many matches make the walk short enough
    return _word_matches(session, tokens, max(needed, DENSE), index=key) >= max(needed, DENSE)


PLAIN_COUNT_ROWS = 2_000_000  # PostgreSQL: up to this many rows a capped count tests the words in place (pg_counts_in_place)


def pg_counts_in_place(session: Session, model) -> bool:
    """PostgreSQL: whether a capped count of ``model``'s rows with the typed words may use
    ``WordMatch(plain=True)``. The planner guesses any prefix query at 2% of the rows; up to
    ``PLAIN_COUNT_ROWS`` rows that guess keeps the GIN bitmap far cheaper in its own reckoning
    than a scan testing each row's words (7,958 against 42,190 at 300,000 leads). Beyond, the
    guess would pass the cap many times over and a scan could look cheaper, which for a rare word
    would test every row: the matches are then gathered first, as ``WordMatch`` does."""
    return session.get_bind().dialect.name == "postgresql" and table_total(session, model) <= PLAIN_COUNT_ROWS


PG_WALK_ROWS = 10_000  # PostgreSQL: a lead page walks at most this many rows testing their stored words (0.4 µs a row)


def pg_walk_budget(session: Session, model, rows: int, matched: int) -> int | None:
    """PostgreSQL: how many rows, in a list's order, a page of its first ``rows`` matching rows may
    walk testing each row's words, when at least ``matched`` of the table's rows match (a capped
    count): twice what the matches' share needs, at most ``PG_WALK_ROWS``. None: the page is too
    deep for a walk (the matches are read first). The caller reads the matches after all when the
    walk comes back short (the matches may be few among the rows walked)."""
    if session.get_bind().dialect.name != "postgresql" or rows > PG_WALK_ROWS:
        return None
    return max(rows, min(2 * math.ceil(walk_length(session, model, rows, matched)), PG_WALK_ROWS))


def pg_like_walks(session: Session, model, rows: int, matched: int) -> bool:
    """PostgreSQL: whether a page of the first ``rows`` of ``matched`` rows is found by walking
    the list's order testing each row's stored words (``WordMatch(like=True)``, the planner
    choosing the walk from the column's statistics): when that reads at most ``PG_WALK_ROWS``."""
    return walk_length(session, model, rows, matched) <= PG_WALK_ROWS


def word_exists(key: str, id_column, param: str):
    """SQLite: ``the row's id is in the word index key matching :<param>_fts``, looked up for this
    row alone (FTS5 seeks the id in each word's list), so a query can walk another index and stop
    at its LIMIT instead of first reading every match (as :class:`WordMatch` does)."""
    fts = table(INDEXES[key].fts_table, column("rowid"))
    return exists().where(text(f"{fts.name} MATCH :{param}_fts"), fts.c.rowid == id_column)


def word_join_count(model, conditions, param: str) -> Prepared:
    """SQLite: the rows of ``model`` matching a word index (the shape's first element, its key; the
    words in ``:<param>_fts``) and ``conditions(shape)``, counted up to ``:cap``. The matches are
    read in id order, each joined to its row by the primary key and tested, so a common word stops
    at the cap instead of reading every match first."""

    def build(shape):
        key, rest = shape
        fts = table(INDEXES[key].fts_table, column("rowid"))
        matched = select(literal_column("1")).select_from(fts.join(model, model.id == fts.c.rowid)).where(text(f"{fts.name} MATCH :{param}_fts"), *conditions(rest))
        return select(func.count()).select_from(matched.limit(bindparam("cap")).subquery())

    return Prepared(build)


def opportunity_matches(tokens: list[str]):
    """Opportunities whose name has every token as a word prefix. (The deal list's walk tests
    ``id + 0`` instead, which keeps SQLite from starting at the matching ids, so that its LIMIT
    walks the ORDER BY index: ``opportunity_name_walks``.)"""
    return WordMatch("opportunity_name", Opportunity.id, tokens)
