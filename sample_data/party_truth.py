"""Registers in which the same holders appear again and again, with which rows are one holder.

The province's register and two extracts (a former Long An district's, in its XLSX layout,
and a former Tây Ninh commune's, in the CSV layout) list the same parcels. Each row names
its holder as registers really do:

* names with typing slips (a letter changed, dropped or swapped, diacritics lost, capitals,
  doubled spaces), birth years left out, now and then a birth year mistyped;
* people who had an old CMND (9 digits) and now a CCCD (12): the province's register, the
  newest, writes the CCCD and, for most of them, the old CMND in its column "Số CMND cũ";
  the older extracts mostly still write the CMND — so some changes are stated and some not;
* a few rows with no usable number at all;
* households ("Hộ ông …", the head's number), married couples (two rows, one per spouse),
  organisations (tax code; written "Công ty TNHH …" or in capitals), a pagoda;
* different people who share a name (and some a birth year), each with their own number.

``generate_party_truth(out_dir, seed=...)`` writes the three registers under
``out_dir/register/`` and ``ground_truth.json``: for each file, the holder of each row
(by its STT, unique across the files). The same seed gives the same files.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sample_data.people import citizen_numbers, old_card_numbers, person_names
from sample_data.register import LA_COLUMNS, TN_COLUMNS
from sample_data.writers import write_csv
from sample_data.xlsx import write_xlsx

PROVINCE = "register/so_dia_chinh_tinh.csv"
DISTRICT = "register/trich_luc_huyen.xlsx"
COMMUNE = "register/trich_luc_xa.csv"
PREVIOUS = "Số CMND cũ"
COMMUNES = {"25459": "Phường Tân Ninh", "27694": "Phường Long An"}
_FIRST_ROW = {PROVINCE: 1, DISTRICT: 20_001, COMMUNE: 40_001}
_KIND_VI = {
    "individual": "Cá nhân", "couple": "Vợ chồng", "household": "Hộ gia đình",
    "organisation": "Tổ chức", "community": "Cộng đồng dân cư",
}  # fmt: skip
_COMPANIES = (
    "Công ty TNHH Thương mại Hòa Bình", "Công ty Cổ phần Nông sản Tây Ninh",
    "Công ty TNHH Xây dựng Phú Cường", "Hợp tác xã Nông nghiệp Tân Ninh",
    "Công ty Cổ phần Cao su Long An", "Công ty TNHH Chế biến Mì Thành Đạt",
    "Doanh nghiệp tư nhân Minh Phát", "Công ty TNHH Gạch Ngói Long An",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Noise:
    """How often each slip happens, per row (or per person for the CMND → CCCD change)."""

    typo: float = 0.12
    no_birth_year: float = 0.10
    wrong_birth_year: float = 0.01
    no_number: float = 0.015
    had_cmnd: float = 0.30
    states_cmnd: float = 0.88
    older_writes_cmnd: float = 0.8


def _typo(rng: np.random.Generator, name: str) -> str:
    """One slip of the kind a clerk makes."""
    kind = rng.integers(0, 6)
    if kind == 0:
        return name.upper()
    if kind == 1:  # diacritics lost
        plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
        return "".join(c for c in plain if unicodedata.category(c) != "Mn")
    if kind == 2:
        return name.replace(" ", "  ", 1)
    letters = [i for i, c in enumerate(name) if c.isalpha() and i > 0]
    at = int(rng.choice(letters))
    if kind == 3:  # a letter changed
        return name[:at] + "aeiouhnt"[int(rng.integers(0, 8))] + name[at + 1 :]
    if kind == 4:  # a letter dropped
        return name[:at] + name[at + 1 :]
    if at + 1 < len(name) and name[at + 1].isalpha():  # two letters swapped
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return name[:at] + name[at + 1 :]


def _people(rng: np.random.Generator, size: int, noise: Noise) -> pd.DataFrame:
    """People with a CCCD each and, for some, the CMND they had before."""
    female = rng.random(size) < 0.45
    birth_year = rng.integers(1940, 2000, size)
    names = person_names(rng, female)
    # Some people share a name (and half of those a birth year) with another person.
    twins = rng.choice(size, size=size // 12, replace=False)
    for one, other in twins.reshape(-1, 2):
        names[other], female[other] = names[one], female[one]
        if rng.random() < 0.5:
            birth_year[other] = birth_year[one]
    cccd = citizen_numbers(rng, birth_year, female)
    cmnd = np.where(rng.random(size) < noise.had_cmnd, old_card_numbers(rng, size), None)
    return pd.DataFrame(
        {
            "holder": [f"p{i}" for i in range(size)], "name": names, "birth_year": birth_year,
            "cccd": cccd, "cmnd": cmnd, "states": rng.random(size) < noise.states_cmnd,
        }
    )  # fmt: skip


def _parcels(
    rng: np.random.Generator, people: pd.DataFrame, size: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Parcels with their holders: a person, a couple, a household, an organisation."""
    persons = len(people)
    pool = rng.permutation(persons)
    kinds = rng.choice(
        np.array(["individual", "couple", "household", "organisation", "community"]),
        size=size, p=[0.52, 0.16, 0.24, 0.07, 0.01],
    )  # fmt: skip
    companies = [
        {"holder": f"o{i}", "name": name, "tax": f"{rng.integers(10**9, 10**10 - 1)}"}
        for i, name in enumerate(_COMPANIES)
    ]
    out = []
    for index, kind in enumerate(kinds):
        commune = "25459" if rng.random() < 0.5 else "27694"
        parcel: dict[str, Any] = {
            "commune": commune, "sheet": int(rng.integers(1, 30)), "number": index + 1,
            "area": round(float(rng.uniform(80, 5000)), 1),
            "use": str(rng.choice(["ONT", "CLN", "LUC", "HNK"])), "kind": kind,
            "serial": f"C{'KLMN'[index % 4]} {rng.integers(10**7, 10**8 - 1)}",
        }  # fmt: skip
        # Owners of several parcels: people are drawn from the front of the pool more often.
        first = int(pool[min(int(rng.exponential(persons / 3)), persons - 1)])
        if kind == "couple":
            second = int(pool[int(rng.integers(0, persons))])
            parcel["holders"] = (
                [("person", first, 50), ("person", second, 50)]
                if first != second
                else [("person", first, 100)]
            )
        elif kind == "household":
            parcel["holders"] = [("household", first, 100)]
        elif kind == "organisation":
            parcel["holders"] = [("organisation", int(rng.integers(0, len(companies))), 100)]
        elif kind == "community":
            parcel["holders"] = [("community", 0, 100)]
        else:
            parcel["holders"] = [("person", first, 100)]
        out.append(parcel)
    return out, companies


def _body_row(
    rng: np.random.Generator,
    companies: list[dict[str, Any]],
    holder: tuple[str, int, int],
    commune: str,
) -> dict[str, Any]:
    """How a file writes an organisation (by its tax code) or the pagoda of a commune."""
    what, index, share = holder
    row = {"identity": None, "birth_year": None, "previous": None, "share": share}
    if what == "community":
        return row | {"holder_name": "Chùa Phước Lâm", "tax_code": None,
                      "truth": f"c0-{commune}"}  # fmt: skip
    company = companies[index]
    name = company["name"] if rng.random() < 0.7 else company["name"].upper()
    return row | {"holder_name": name, "tax_code": company["tax"], "truth": company["holder"]}


def _holder_row(
    rng: np.random.Generator,
    noise: Noise,
    people: pd.DataFrame,
    companies: list[dict[str, Any]],
    holder: tuple[str, int, int],
    file: str,
    commune: str,
) -> dict[str, Any]:
    """How one file writes one holder of a parcel."""
    what, index, share = holder
    if what in ("organisation", "community"):
        return _body_row(rng, companies, holder, commune)
    person = people.iloc[index]
    name = str(person["name"])
    if rng.random() < noise.typo:
        name = _typo(rng, name)
    year: int | None = int(person["birth_year"])
    if rng.random() < noise.no_birth_year:
        year = None
    elif rng.random() < noise.wrong_birth_year:
        year = int(person["birth_year"]) + int(rng.choice([-10, -1, 1, 10]))
    number, previous = person["cccd"], None
    if isinstance(person["cmnd"], str):
        if file == PROVINCE:
            previous = person["cmnd"] if person["states"] and rng.random() < 0.9 else None
        elif rng.random() < noise.older_writes_cmnd:
            number = person["cmnd"]
    if rng.random() < noise.no_number:
        number, previous = None, None
    truth = person["holder"]
    if what == "household":
        title = "Hộ bà " if str(person["name"]).split()[1] == "Thị" else "Hộ ông "
        name, truth = title + name, "h" + truth
    return {"holder_name": name, "identity": number, "birth_year": year, "previous": previous,
            "tax_code": None, "truth": truth, "share": share}  # fmt: skip


def _rows(rng, noise, people, parcels, companies) -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {PROVINCE: [], DISTRICT: [], COMMUNE: []}
    for parcel in parcels:
        listed = [PROVINCE]
        if parcel["commune"] == "27694" and rng.random() < 0.6:
            listed.append(DISTRICT)
        if parcel["commune"] == "25459" and rng.random() < 0.6:
            listed.append(COMMUNE)
        for file in listed:
            for holder in parcel["holders"]:
                row = _holder_row(rng, noise, people, companies, holder, file, parcel["commune"])
                files[file].append(row | {
                    "commune_code": parcel["commune"], "sheet": parcel["sheet"],
                    "number": parcel["number"], "area": parcel["area"], "use": parcel["use"],
                    "serial": parcel["serial"], "kind": _KIND_VI[parcel["kind"]],
                })  # fmt: skip
    return files


def _frame(rows: list[dict[str, Any]], file: str, columns: dict[str, str]) -> pd.DataFrame:
    first = _FIRST_ROW[file]
    data = pd.DataFrame(
        {
            "stt": np.arange(first, first + len(rows)),
            "commune_code": [r["commune_code"] for r in rows],
            "sheet_text": [str(r["sheet"]) for r in rows],
            "number_text": [str(r["number"]) for r in rows],
            "old_sheet": None, "old_number": None,
            "legal_area": [r["area"] for r in rows],
            "land_use_text": [r["use"] for r in rows],
            "term": "Lâu dài",
            "holder_name": [r["holder_name"] for r in rows],
            "holder_kind": [r["kind"] for r in rows],
            "identity": [r["identity"] for r in rows],
            "birth_year": pd.array([r["birth_year"] for r in rows], dtype="Int64"),
            "tax_code": [r["tax_code"] for r in rows],
            "parcel_address": [f"{COMMUNES[r['commune_code']]}, Tỉnh Tây Ninh" for r in rows],
            "share": [r["share"] for r in rows],
            "serial": [r["serial"] for r in rows],
            "entry_number": None, "issued": None, "mortgage_bank": None, "mortgage_date": None,
            "seizure": None, "parent_key": None,
        }
    )  # fmt: skip
    out = data[list(columns)].rename(columns=columns)
    out[PREVIOUS] = [r["previous"] for r in rows]
    return out


def generate_party_truth(out_dir: Path, *, seed: int = 17, people: int = 700, parcels: int = 900,
                         noise: Noise | None = None) -> dict[str, Any]:  # fmt: skip
    """Write the three registers and ``ground_truth.json``; return the ground truth."""
    noise = noise or Noise()
    rng = np.random.default_rng(seed)
    population = _people(rng, people, noise)
    laid_out, companies = _parcels(rng, population, parcels)
    files = _rows(rng, noise, population, laid_out, companies)
    write_csv(out_dir / PROVINCE, _frame(files[PROVINCE], PROVINCE, TN_COLUMNS), bom=True)
    write_csv(out_dir / COMMUNE, _frame(files[COMMUNE], COMMUNE, TN_COLUMNS), bom=True)
    write_xlsx(
        out_dir / DISTRICT,
        {"Phuong Long An": _frame(files[DISTRICT], DISTRICT, LA_COLUMNS)},
        "Trích lục sổ địa chính",
    )
    truth = {
        "description": "the holder of each register row, by its STT (unique across files)",
        "rows": {
            str(_FIRST_ROW[file] + i): row["truth"]
            for file, rows in files.items()
            for i, row in enumerate(rows)
        },
        "files": {file: len(rows) for file, rows in files.items()},
    }
    (out_dir / "ground_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return truth
