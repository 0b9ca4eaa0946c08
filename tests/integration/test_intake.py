"""The intake pre-check on PostGIS, measured against the sample data's ground truth: every
planted problem of a dossier is in its one answer, and nothing blocks a sound dossier."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from landreg.domain.intake import Application
from landreg.errors import UnknownReferenceError, ValidationError
from landreg.services.dossier_links import link_all
from landreg.services.intake import check_application
from landreg.store.tables import DossierDocumentRow, DossierRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.planning import planning_maps
from tests.ground_truth import SAMPLE, ground_truth

KIND_ITEM = {
    "missing_documents": "DOCUMENTS_MISSING",
    "applicant_not_holder": "APPLICANT_NOT_HOLDER",
    "mortgaged_transfer": "PARCEL_MORTGAGED",
    "two_open_dossiers": "OTHER_OPEN_DOSSIER",
    "dossier_parcel_not_found": "PARCEL_NOT_FOUND",
    "planning_conflict": "PLANNING_CONFLICT",
}
ENDED = {"not_received", "withdrawn", "stopped"}


def _expected() -> tuple[dict[str, set[str]], set[str]]:
    """Items each dossier must get, and the dossiers with a typo'd reference."""
    truth = ground_truth()
    status = {d["dossier_code"]: d["status"] for d in truth["dossier_links"]}
    expected: dict[str, set[str]] = defaultdict(set)
    typos = set()
    for defect in truth["defects"]:
        codes = [r["dossier_code"] for r in defect["records"] if r.get("dossier_code")]
        if defect["kind"] == "dossier_reference_typo":
            typos.update(codes)
        if defect["kind"] not in KIND_ITEM:
            continue
        if defect["kind"] == "two_open_dossiers":
            first, second = codes
            if status[first] in ENDED and not status[first] == "withdrawn":
                continue  # the first was refused at the counter: it never was open
            codes = [second]
        for code in codes:
            expected[code].add(KIND_ITEM[defect["kind"]])
    return expected, typos


@pytest.fixture(scope="module")
def checked(sample_register):
    """Every dossier with a planted problem, and every fifth other one, checked as received."""
    database, _ = sample_register
    with UnitOfWork(database) as uow:
        link_all(uow)
    expected, typos = _expected()
    maps = planning_maps(SAMPLE / "rasters")
    results = {}
    with UnitOfWork(database) as uow:
        documents = defaultdict(list)
        for dossier_id, code in uow.session.execute(
            select(DossierDocumentRow.dossier_id, DossierDocumentRow.document_code)
        ):
            documents[dossier_id].append(code)
        dossiers = uow.session.scalars(select(DossierRow).order_by(DossierRow.id)).all()
        for n, d in enumerate(dossiers):
            if d.code not in expected and d.code not in typos and n % 5:
                continue
            results[d.code] = check_application(
                uow, _application(d, documents[d.id]), dossier_id=d.id, planning=maps
            )
    return results, expected, typos


def _application(d: DossierRow, documents: list[str]) -> Application:
    return Application(
        d.procedure, d.received_at, d.applicant_name, d.applicant_identity, d.declared_commune,
        d.declared_map_sheet, d.declared_parcel_number, d.declared_serial, d.declared_area,
        d.declared_land_use, d.requested_land_use, tuple(documents),
    )  # fmt: skip


def test_every_planted_problem_is_in_the_one_answer(checked):
    results, expected, _ = checked
    missed = {
        code: sorted(items - {i.code for i in results[code].items})
        for code, items in expected.items()
        if items - {i.code for i in results[code].items}
    }
    print(
        f"\n{sum(len(v) for v in expected.values())} planted problems in {len(expected)} dossiers"
    )
    assert missed == {}


def test_nothing_blocks_a_sound_dossier(checked):
    results, expected, typos = checked
    wrong = {}
    for code, result in results.items():
        allowed = expected.get(code, set()) | ({"PARCEL_AMBIGUOUS"} if code in typos else set())
        blocking = {i.code for i in result.items if i.severity == "blocks"}
        if blocking - allowed:
            wrong[code] = sorted(blocking - allowed)
    print(f"\n{len(results)} dossiers checked, {len(wrong)} blocked without cause")
    assert wrong == {}
    assert sum(1 for r in results.values() if not r.blocked) > 250


def test_the_answer_has_the_parcel_the_due_date_and_both_languages(checked):
    results, expected, _ = checked
    code = next(c for c, items in expected.items() if items == {"PARCEL_MORTGAGED"})
    result = results[code]
    [item] = [i for i in result.items if i.code == "PARCEL_MORTGAGED"]
    vi, en = item.messages()
    assert result.parcel_key and result.due_on and result.blocked
    assert "thế chấp" in vi and "mortgaged" in en and result.parcel_key in en


def test_unknown_procedure_and_impossible_receipt_are_refused(postgis):
    with UnitOfWork(postgis) as uow:
        with pytest.raises(UnknownReferenceError) as unknown:
            check_application(uow, Application("sale_of_moon", datetime(2024, 1, 5, 9)))
        with pytest.raises(ValidationError) as future:
            check_application(uow, Application("transfer", datetime.now() + timedelta(days=2)))
    assert unknown.value.field == "procedure" and future.value.field == "received_at"
