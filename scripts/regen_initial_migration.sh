#!/usr/bin/env bash
# While nothing has been released, the initial migration is regenerated from the models.
# Expression indexes live in 0002 (autogenerate cannot compare them on SQLite); the regenerated
# 0001 must stay its parent. After the first release, add new migrations with: .venv/bin/alembic revision --autogenerate -m "..."
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f alembic/versions/0001_initial_schema.py
mv alembic/versions/0002_search_indexes.py "$tmp/"
trap 'mv "$tmp/0002_search_indexes.py" alembic/versions/ 2>/dev/null; rm -rf "$tmp"' EXIT
KAKTUS_DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/alembic revision --autogenerate --rev-id 0001 -m "initial schema" >/dev/null
mv alembic/versions/0001_initial_schema*.py alembic/versions/0001_initial_schema.py 2>/dev/null || true
echo "regenerated alembic/versions/0001_initial_schema.py"
