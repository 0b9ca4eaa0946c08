"""Phase three: the dossiers of 2021-2023, their planted defects and their true parcels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landreg.domain.reference import procedures_config
from sample_data.dossier_export import CSV_PATH, JSON_PATH, NATIONAL_IDS, dossier_codes
from sample_data.dossier_fields import (
    applicants,
    commune_text,
    documents,
    reference_numbers,
    requested_use,
    typo_reference,
)
from sample_data.dossiers import WINDOW
from sample_data.schedule import base_dossiers, mark_simple_defects, mortgaged_transfers, two_open
from sample_data.units import former_units

PERSON_KINDS = ("individual", "household", "couple", "co_users")
AGENCY_PREFIX = "H55"


def parcel_state(parcels: pd.DataFrame, holders: pd.DataFrame) -> pd.DataFrame:
    """What the dossier rules need to know about each parcel."""
    first = holders.drop_duplicates("parcel").set_index("parcel")["kind"]
    person = np.isin(first.reindex(np.arange(len(parcels))).to_numpy(dtype=object), PERSON_KINDS)
    day = parcels["mortgage_date"].to_numpy().astype("datetime64[D]")
    day = np.where(np.isnat(day), np.datetime64("2100-01-01"), day)
    planned = parcels["planned"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "eligible": (parcels["kind"].to_numpy() == "")
            & parcels["seizure"].isna().to_numpy()
            & person,
            "certified": parcels["serial"].notna().to_numpy(),
            "mortgage_day": day,
            "plan_change": pd.notna(planned) & (planned != parcels["land_use"].to_numpy()),
            "remote": parcels["remote"].to_numpy(),
        }
    )


def schedule_all(rng, state: pd.DataFrame, counts: dict[str, int]) -> pd.DataFrame:
    """All dossiers with their timing, status and planted defect kind."""
    pre_window = state["eligible"] & state["certified"] & (state["mortgage_day"] < WINDOW[0])
    reserved = rng.permutation(np.flatnonzero(pre_window.to_numpy()))[
        : counts["mortgaged_transfer"]
    ]
    mask = np.zeros(len(state), dtype=bool)
    mask[reserved] = True
    base = base_dossiers(rng, state, 0.5, mask)
    second = two_open(rng, state, base, counts["two_open_dossiers"])
    transfers = mortgaged_transfers(rng, state, np.sort(reserved))
    dossiers = pd.concat([base, second, transfers], ignore_index=True)
    mark_simple_defects(rng, dossiers, counts)
    return dossiers


def settle_mortgages(parcels: pd.DataFrame, d: pd.DataFrame) -> None:
    """The register records a 2021-2023 mortgage on the day its registration was processed;
    a registration that was never completed leaves no mortgage."""
    reg = d[d["procedure"] == "mortgage_registration"]
    done = reg["status"].isin(["processed", "result_returned"]).to_numpy()
    at = reg["parcel"].to_numpy()
    parcels.loc[at[done], "mortgage_date"] = reg["processed"].to_numpy()[done]
    parcels.loc[at[~done], ["mortgage_bank", "mortgage_date"]] = [None, pd.NaT]


def _references(rng, d: pd.DataFrame, parcels: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    p = parcels.iloc[d["parcel"].to_numpy()]
    sheet, number = p["sheet"].to_numpy().copy(), p["number"].to_numpy().copy()
    typo = (d["defect"] == "dossier_reference_typo").to_numpy()
    how = np.full(len(d), None, dtype=object)
    sheet[typo], number[typo], how[typo] = typo_reference(
        rng,
        sheet[typo],
        number[typo],
        p["old_sheet"].to_numpy()[typo],
        p["old_number"].to_numpy()[typo],
    )
    missing = (d["defect"] == "dossier_parcel_not_found").to_numpy()
    last = parcels.groupby("commune_code")["sheet"].max()
    sheet[missing] = last.reindex(p["commune_code"].to_numpy()[missing]).to_numpy() + rng.integers(
        3, 9, missing.sum()
    )
    sheet_text, number_text = reference_numbers(rng, sheet, number)
    serial = p["serial"].to_numpy(dtype=object).copy()
    serial[(rng.random(len(d)) > 0.35) | missing | pd.isna(serial)] = ""
    codes = p["commune_code"].to_numpy()
    return pd.DataFrame(
        {
            "ref_commune": commune_text(rng, codes, names),
            "ref_sheet": sheet_text,
            "ref_number": number_text,
            "ref_serial": serial,
            "typo": how,
        },
        index=d.index,
    )


def describe(rng, d, parcels, holders, fresh: pd.DataFrame, names) -> pd.DataFrame:
    """Add applicant, parcel reference, documents, requested use, code and export file."""
    config = procedures_config()["procedures"]
    d = d.sort_values("received_at", kind="stable").reset_index(drop=True)
    outsider = (d["defect"] == "applicant_not_holder") | (d["procedure"] == "inheritance")
    name, identity, phone = applicants(
        rng, holders, d["parcel"].to_numpy(), fresh, outsider.to_numpy()
    )
    submitted, left_out = documents(
        rng, d["procedure"].to_numpy(), (d["defect"] == "missing_documents").to_numpy()
    )
    planned = parcels["planned"].to_numpy(dtype=object)[d["parcel"].to_numpy()]
    change = d["procedure"].str.startswith("land_use_change").to_numpy()
    use = np.where(
        change, requested_use(rng, planned, (d["defect"] == "planning_conflict").to_numpy()), ""
    )
    district = (
        parcels["commune_code"]
        .map(lambda c: former_units()[c][0])
        .to_numpy()[d["parcel"].to_numpy()]
    )
    d = d.assign(
        applicant=name,
        applicant_identity=identity,
        phone=phone,
        documents=submitted,
        missing_document=left_out,
        requested_use=use,
        agency=AGENCY_PREFIX + "." + district,
        procedure_name=d["procedure"].map(lambda p: config[p]["name_vi"]),
        procedure_code=d["procedure"].map(lambda p: f"{NATIONAL_IDS[p]}.000.00.00.{AGENCY_PREFIX}"),
    )
    d = pd.concat([d, _references(rng, d, parcels, names)], axis=1)
    d["code"] = dossier_codes(d)
    d["source"] = np.where(d["received_at"].dt.year <= 2022, CSV_PATH, JSON_PATH)
    d["stt"] = d.groupby("source").cumcount() + 1
    return d
