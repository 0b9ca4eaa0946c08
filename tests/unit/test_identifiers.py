"""The keys the register is organised by accept what people write and refuse what is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landreg.domain.identifiers import CertificateSerial, DossierCode, IdentityNumber, ParcelKey
from landreg.errors import ValidationError


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (("25459", "12", "345"), ParcelKey("25459", 12, 345)),
        (("25459", "1.234", "7"), ParcelKey("25459", 1234, 7)),
        (("25459", " 3 ", "1,205"), ParcelKey("25459", 3, 1205)),
        ((25459, 4, "0012"), ParcelKey("25459", 4, 12)),
        (("2545", 4, 12), ParcelKey("02545", 4, 12)),  # spreadsheets drop the leading zero
    ],
)
def test_parcel_key_reads_numbers_as_written(written, expected):
    assert ParcelKey.parse(*written) == expected


@pytest.mark.parametrize(
    ("written", "field"),
    [
        (("254590", "1", "1"), "commune_code"),
        (("25459", "0", "1"), "map_sheet"),
        (("25459", "12a", "1"), "map_sheet"),
        (("25459", "1", ""), "parcel_number"),
        (("25459", "1", "-4"), "parcel_number"),
    ],
)
def test_parcel_key_refuses_malformed_parts_naming_the_field(written, field):
    with pytest.raises(ValidationError) as caught:
        ParcelKey.parse(*written)
    assert caught.value.field == field
    assert str(written[("commune_code", "map_sheet", "parcel_number").index(field)]) in str(
        caught.value
    )


@given(
    st.from_regex(r"\d{5}", fullmatch=True),
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=1, max_value=99999),
)
def test_parcel_key_text_form_round_trips(commune, sheet, number):
    key = ParcelKey(commune, sheet, number)
    assert ParcelKey.from_string(str(key)) == key


@pytest.mark.parametrize(
    ("written", "canonical", "form"),
    [
        ("AB 123456", "AB 123456", "2014"),
        ("ab123456", "AB 123456", "2014"),
        ("CS 01234567", "CS 01234567", "2024"),
        ("cs-01234567", "CS 01234567", "2024"),
    ],
)
def test_certificate_serial_old_and_new_forms(written, canonical, form):
    serial = CertificateSerial.parse(written)
    assert str(serial) == canonical
    assert serial.form == form


@pytest.mark.parametrize("written", ["A 123456", "AB 12345", "AB 1234567", "12 345678", ""])
def test_certificate_serial_refuses_other_forms(written):
    with pytest.raises(ValidationError) as caught:
        CertificateSerial.parse(written)
    assert caught.value.field == "certificate_serial"


def test_identity_numbers_of_both_generations():
    assert IdentityNumber.parse("072 085 001234").kind == "cccd"
    assert IdentityNumber.parse("280123456").kind == "cmnd"
    assert IdentityNumber("072085001234").masked == "*********234"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("07208500123", "12 digits"),
        ("999085001234", "province"),
        ("072399001234", "future"),
        ("0720850012AB", "12 digits"),
    ],
)
def test_identity_numbers_refused_with_reason(number, reason):
    with pytest.raises(ValidationError) as caught:
        IdentityNumber.parse(number)
    assert reason in str(caught.value)
    assert caught.value.field == "identity_number"


def test_dossier_code_carries_its_receipt_date():
    code = DossierCode.parse(" h38.22-230514-0042 ")
    assert str(code) == "H38.22-230514-0042"
    assert code.received_on.isoformat() == "2023-05-14"


@pytest.mark.parametrize("text", ["H38.22-231332-0042", "H38.22-2305140042", "-230514-0042"])
def test_dossier_code_refuses_malformed_and_impossible_dates(text):
    with pytest.raises(ValidationError) as caught:
        DossierCode.parse(text)
    assert caught.value.field == "dossier_code"


def test_dossier_code_under_a_province_pattern():
    pattern = r"(?P<agency>TN)(?P<date>\d{6})(?P<seq>\d{5})"
    assert str(DossierCode.parse("tn23051400042", pattern)) == "TN23051400042"
    with pytest.raises(ValidationError):
        DossierCode.parse("TN23131400042", pattern)
