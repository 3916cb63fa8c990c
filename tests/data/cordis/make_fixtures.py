"""Re-create the CORDIS fixtures of tests/test_importer_cordis.py from the real sample.

Run from the repository root: ``python tests/data/cordis/make_fixtures.py SAMPLE_DIR``
(SAMPLE_DIR: the CORDIS Horizon Europe sample, see its SOURCE.md). Writes:

- ``sample/``: the comma-separated ``project``, ``organization`` and ``webLink`` ``_df_100``
  re-saves as they are, and the ``;``-separated full ``topics``, ``euroSciVoc`` and
  ``legalBasis`` tables cut down to the rows of the 100 sample projects;
- ``official/``: five sample projects with their rows in every table, in the official format
  (``;``, ``"``-quoting, lower-case booleans), with embedded newlines and ``;`` inside quoted
  fields and a mis-encoded (mojibake) city and organisation name.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
OFFICIAL_PROJECTS = ["101163161", "101166905", "101072693", "101157697", "101131799"]


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        first = f.readline()
        f.seek(0)
        reader = csv.DictReader(f, delimiter=";" if first.count(";") > first.count(",") else ",")
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict[str, str]], delimiter: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, header, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("cp1252")


def main(sample: Path) -> None:
    out = HERE / "sample"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("project", "organization", "webLink"):
        shutil.copyfile(sample / f"{name}_df_100.csv", out / f"{name}_df_100.csv")
    _h, projects = read(sample / "project_df_100.csv")
    ids = {r["id"] for r in projects}
    for name in ("topics", "euroSciVoc", "legalBasis"):
        header, rows = read(sample / f"{name}.csv")
        write(out / f"{name}.csv", header, [r for r in rows if r["projectID"] in ids], ";")

    official = HERE / "official"
    keep = set(OFFICIAL_PROJECTS)
    header, rows = read(sample / "project_df_100.csv")
    rows = [r for r in rows if r["id"] in keep]
    rows[0]["objective"] = rows[0]["objective"].replace(". ", ".\n\n", 2).replace(", ", "; ", 1)
    rows[1]["title"] = rows[1]["title"] + "; a map of the sky"
    write(official / "project.csv", header, rows, ";")
    header, rows = read(sample / "organization_df_100.csv")
    rows = [r for r in rows if r["projectID"] in keep]
    for r in rows:
        for col in ("SME", "endOfParticipation"):
            r[col] = r[col].lower()
        if r["city"] == "Munchen":
            r["city"] = mojibake("München")
            r["street"] = r["street"] + "\nGebäude 2"
    rows[0]["name"] = mojibake("AARHUS UNIVERSITET – ÅRHUS")
    write(official / "organization.csv", header, rows, ";")
    for name in ("topics", "euroSciVoc", "legalBasis", "webLink"):
        src = sample / (f"{name}_df_100.csv" if name == "webLink" else f"{name}.csv")
        header, rows = read(src)
        rows = [r for r in rows if r["projectID"] in keep]
        for r in rows:
            if "uniqueProgrammePart" in r:
                r["uniqueProgrammePart"] = r["uniqueProgrammePart"].lower()
        write(official / f"{name}.csv", header, rows, ";")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
