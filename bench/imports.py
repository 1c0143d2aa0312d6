"""Imports at scale: rows per second of the dry run, the import and the undo of a CSV file with
--rows customers (and leads), into a fresh database that already holds --existing customers (so
duplicate matching works against a real table). Every row goes through the same validation,
geocoding, territory, duplicate matching, audit trail and timeline as a form. Prints figures only:
nothing here asserts a timing.

    python -m bench.imports [--rows 100000] [--existing 10000] [--module customers|leads] [--pg URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from bench.run_all import DATA, migrate
from kaktus_app import db
from kaktus_app.auth.models import User
from kaktus_app.auth.service import actor_for
from kaktus_app.demo import generate_scale, seed_base
from kaktus_app.imports import service

CITIES = ["Jakarta Selatan", "Jakarta Pusat", "Bandung", "Surabaya", "Bekasi", "Depok", "Tangerang", "Bogor", "Medan", "Semarang"]
SEGMENTS = ["Korporat", "Pemerintah", "Retail", "Pendidikan", "Kesehatan"]


def make_file(module: str, rows: int, duplicates: int) -> bytes:
    """A CSV as an Indonesian Excel writes it: BOM, semicolons, Indonesian numbers; a few bad rows
    (one in 200) and some rows repeating a customer already in the database."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    rnd = random.Random(7)
    if module == "customers":
        writer.writerow(["Nama Perusahaan", "Email", "Telepon", "Kota", "Segmen", "Pemilik", "Tags", "Kode Pos"])
        for i in range(rows):
            email = f"dup{i}@scale.example" if i < duplicates else (f"kontak{i}@contoh.co.id" if i % 200 else "bukan-email")
            writer.writerow([f"PT Impor Contoh {i}", email, f"0812{i:08d}", rnd.choice(CITIES), rnd.choice(SEGMENTS), rnd.choice(["dewi", "budi"]), "impor, bench", f"{10000 + i % 89999}"])
    else:
        writer.writerow(["Judul", "Nama kontak", "Email", "Telepon", "Sumber", "Nilai", "Pemilik"])
        for i in range(rows):
            writer.writerow([f"Katering {i}", f"Kontak {i}", f"prospek{i}@contoh.co.id" if i % 200 else "x", f"0813{i:08d}", "Referral", "1.500.000,00", "budi"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=10_000)
    parser.add_argument("--module", default="customers", choices=["customers", "leads"])
    parser.add_argument("--pg", default="", help="a PostgreSQL URL instead of a fresh SQLite file (its tables are emptied)")
    args = parser.parse_args()

    if args.pg:
        url = args.pg
        from tests.conftest import _truncate_all

        migrate(url)
        _truncate_all(url)
    else:
        DATA.mkdir(exist_ok=True)
        path = DATA / "imports_bench.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        migrate(url)
    with Session(db.get_engine(url), expire_on_commit=False) as session:
        seed_base(session)
        session.commit()
        if args.existing:
            generate_scale(session, args.existing)
            session.commit()
        from sqlalchemy import text

        # some rows of the file repeat customers already stored (matched by e-mail)
        session.exec(text("UPDATE customer SET email = 'dup' || (id - (SELECT MIN(id) FROM customer)) || '@scale.example' WHERE id < (SELECT MIN(id) FROM customer) + 500"))
        session.commit()
        actor = actor_for(session.exec(select(User).where(User.username == "admin")).one())
        data = make_file(args.module, args.rows, 500 if args.module == "customers" else 0)
        folder = Path(tempfile.mkdtemp())
        print(f"{args.module}: {args.rows:,} rows ({len(data) / 1e6:.1f} MB CSV) into {url.split(':')[0]} with {args.existing:,} customers stored")

        start = time.perf_counter()
        job = service.upload(session, actor, args.module, "bench.csv", data, folder=folder)
        session.commit()
        print(f"  upload + row count   {time.perf_counter() - start:7.2f} s")
        for label, dry in (("dry run", True), ("import", False)):
            start = time.perf_counter()
            summary = service.run_job(session, actor, job.id, dry_run=dry, folder=folder)
            seconds = time.perf_counter() - start
            print(f"  {label:<20} {seconds:7.2f} s  {args.rows / seconds:9,.0f} rows/s  "
                  f"(created {summary['created']:,}, skipped {summary['skipped']:,}, refused {summary['failed']:,})")
            if dry:
                job.status = "checked"
        start = time.perf_counter()
        counts = service.undo(session, actor, job.id)
        seconds = time.perf_counter() - start
        print(f"  undo                 {seconds:7.2f} s  {counts['deleted'] / max(seconds, 1e-9):9,.0f} rows/s  (deleted {counts['deleted']:,})")


if __name__ == "__main__":
    main()
