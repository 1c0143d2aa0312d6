#!/usr/bin/env bash
# While nothing has been released, the initial migration is regenerated from the models.
# After the first release, add new migrations with: .venv/bin/alembic revision --autogenerate -m "..."
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f alembic/versions/0001_initial_schema.py
KAKTUS_DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/alembic revision --autogenerate --rev-id 0001 -m "initial schema" >/dev/null
mv alembic/versions/0001_initial_schema*.py alembic/versions/0001_initial_schema.py 2>/dev/null || true
rm -rf "$tmp"
echo "regenerated alembic/versions/0001_initial_schema.py"
