"""The portal's status lifecycle: only the allowed changes, every other one refused by name."""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path

import pytest

from landreg.domain.dossier_workflow import (
    ALLOWED_TRANSITIONS,
    DossierStatus,
    TransitionNotAllowedError,
    can_transition,
    check_transition,
)
from landreg.errors import ConflictError, ValidationError

MANIFEST = Path(__file__).resolve().parents[2] / "sample_data" / "small" / "manifest.json"

# The lifecycle an officer works by, written out once, independently of the code.
EXPECTED = {
    ("new", "received"), ("new", "not_received"), ("new", "withdrawn"),
    ("received", "processing"), ("received", "withdrawn"),
    ("processing", "additional_documents_requested"),
    ("processing", "financial_obligation_required"),
    ("processing", "processed"), ("processing", "withdrawn"), ("processing", "stopped"),
    ("additional_documents_requested", "processing"),
    ("additional_documents_requested", "financial_obligation_required"),
    ("additional_documents_requested", "withdrawn"),
    ("additional_documents_requested", "stopped"),
    ("financial_obligation_required", "processing"),
    ("financial_obligation_required", "additional_documents_requested"),
    ("financial_obligation_required", "withdrawn"),
    ("financial_obligation_required", "stopped"),
    ("processed", "result_returned"),
}  # fmt: skip
PAIRS = list(product(DossierStatus, DossierStatus))


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_transition_is_allowed_or_refused_as_the_lifecycle_says(source, target):
    allowed = (source.value, target.value) in EXPECTED
    assert can_transition(source, target) is allowed
    if allowed:
        assert check_transition(source, target) is target
    else:
        with pytest.raises(TransitionNotAllowedError) as caught:
            check_transition(source, target)
        error = caught.value
        assert isinstance(error, ConflictError)
        assert (error.from_status, error.to_status) == (source, target)
        assert (error.field, error.value) == ("status", target.value)
        assert repr(source.value) in error.detail and repr(target.value) in error.detail


def test_final_statuses_allow_nothing():
    final = {s for s in DossierStatus if s.is_final}
    assert {s.value for s in final} == {"not_received", "withdrawn", "stopped", "result_returned"}
    assert all(not ALLOWED_TRANSITIONS[s] for s in final)


def test_clock_stops_only_while_waiting_for_the_citizen():
    assert {s.value for s in DossierStatus if s.stops_clock} == {
        "additional_documents_requested",
        "financial_obligation_required",
    }
    assert {s.value for s in DossierStatus if s.is_open} == {
        "new", "received", "processing", "additional_documents_requested",
        "financial_obligation_required",
    }  # fmt: skip


def test_labels_and_codes_are_the_portals():
    vocabularies = json.loads(MANIFEST.read_text(encoding="utf-8"))["vocabularies"]
    assert {s.value: s.label_vi for s in DossierStatus} == vocabularies["dossier_status_vi"]
    assert {s.value: s.portal_code for s in DossierStatus} == vocabularies["dossier_status_code"]
    assert DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED.label_en == "Additional documents requested"


def test_status_parses_from_name_vietnamese_text_or_code():
    assert DossierStatus.parse("Đã tiếp nhận") is DossierStatus.RECEIVED
    assert DossierStatus.parse(6) is DossierStatus.FINANCIAL_OBLIGATION_REQUIRED
    assert DossierStatus.parse("result_returned") is DossierStatus.RESULT_RETURNED
    with pytest.raises(ValidationError) as caught:
        DossierStatus.parse("overdue")
    assert (caught.value.field, caught.value.value) == ("status", "overdue")
    with pytest.raises(ValidationError):
        DossierStatus.parse(11)
