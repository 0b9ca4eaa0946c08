"""Vietnamese first: what a person reads says documents, fixes, GEOS's reasons, procedures and
the API's refusals in Vietnamese, with no English code or GEOS word inside the sentence."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import pytest

import shapely

from api.errors import preferred_language
from api.messages import field_problem_vi, http_detail_vi
from api.pages.render import office_name
from landreg.domain.intake import Application, CheckItem
from landreg.domain.messages import (
    FIX_LABELS,
    document_name,
    fix_label,
    geos_reason_vi,
    labelled_suggestion,
)
from landreg.domain.procedures import folded, known_procedure, procedure_code
from landreg.domain.reference import procedures_config
from landreg.domain.rules import RULES, RuleCode
from landreg.errors import NotFoundError, UnknownReferenceError
from landreg.services.dossier_link_scoring import explanation_in
from landreg.services.findings import Candidate

# Words GEOS writes; none may stand in a Vietnamese sentence.
GEOS_WORDS = re.compile(
    r"Self|intersection|Ring|Too few|points?\b|Hole|shell|Interior|disconnected|Nested|"
    r"Duplicate|Invalid|Coordinate|closed|nested|component",
)
# Snake-case codes: notarised_contract, make_valid.
CODE = re.compile(r"\b[a-z]+_[a-z_0-9]+\b")

INVALID_SHAPES = {  # drawn in a local metric grid, unlike sample_data's VN-2000 sheets
    "POLYGON((100 100, 110 110, 110 100, 100 110, 100 100))": "tự cắt tại (105, 105)",
    "POLYGON((0 0, 10 0, 10 10, 5 0, 0 10, 0 0))": "vòng ranh giới tự cắt tại (5, 0)",
    "POLYGON((0 0,10 0,10 10,0 10,0 0),(20 20,21 20,21 21,20 20))": "lỗ nằm ngoài",
    "MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0)),((2 2,3 2,3 3,2 3,2 2)))": "lồng nhau tại (2, 2)",
    "POLYGON((0 0,10 0,10 10,0 10,0 0),(0 5,5 0,10 5,5 10,0 5))": "bị chia cắt tại (5, 0)",
    "POLYGON((0 0, 1 1, 0 0))": "quá ít điểm",
    "POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,9 1,9 9,1 9,1 1),(2 2,3 2,3 3,2 3,2 2))": "lỗ lồng",
}


@pytest.mark.parametrize("wkt", INVALID_SHAPES)
def test_geos_reasons_of_real_invalid_shapes_read_in_vietnamese_with_their_place(wkt):
    reason = str(shapely.is_valid_reason(shapely.from_wkt(wkt)))
    said = geos_reason_vi(reason)
    assert INVALID_SHAPES[wkt] in said, (reason, said)
    assert not GEOS_WORDS.search(said), said


@pytest.mark.parametrize(
    "reason",
    [
        "Self-intersection[565300.123456 1249700.5]",
        "Ring Self-intersection[1 2]",
        "Too few points[0 0]",
        "Hole lies outside shell[3 4]",
        "Interior is disconnected[3 4]",
        "Nested shells[3 4]",
        "Duplicate Rings[3 4]",
        "Invalid Coordinate[nan 0]",
        "Ring is not closed[3 4]",
        "Nested holes[3 4]",
        "ring not closed in the source",
        "Some reason a future GEOS writes[1 2]",
    ],
)
def test_every_named_geos_reason_has_vietnamese_words(reason):
    said = geos_reason_vi(reason)
    assert said and not GEOS_WORDS.search(said) and "future" not in said
    if "[" in reason and "nan" not in reason:
        assert re.search(r"tại \(-?[\d.]+, -?[\d.]+\)$", said), said
    assert "nan" not in said


def test_coordinates_are_shown_to_the_millimetre():
    said = geos_reason_vi("Self-intersection[565300.123456 1249700.5]")
    assert said == "ranh giới tự cắt tại (565300.123, 1249700.5)"


def test_an_invalid_boundary_finding_is_vietnamese_in_vietnamese_and_geos_in_english():
    reason = "Ring Self-intersection[565301.25 1249702.75]"
    found = Candidate(
        RuleCode.GEOM_INVALID, [{"table": "parcel", "id": 1, "key": "80101-7-12"}], "80101",
        measured={"reason": reason},
    )  # fmt: skip
    vi, en = found.messages()
    place = "(565301.25, 1249702.75)"
    assert vi == f"Hình thửa 80101-7-12 không hợp lệ: vòng ranh giới tự cắt tại {place}."
    assert reason in en


def test_missing_key_and_identity_findings_say_each_language_once():
    subject = [{"table": "parcel", "id": 2, "key": "P:80101:A7"}]
    missing = Candidate(
        RuleCode.ATTR_MISSING_KEY, subject, "80101",
        measured={"missing": "số tờ / map sheet, số thửa / parcel number"},
    )  # fmt: skip
    vi, en = missing.messages()
    assert vi.endswith("thiếu số tờ, số thửa.") and en.endswith("lacks map sheet, parcel number.")
    identity = Candidate(
        RuleCode.ATTR_INVALID_IDENTITY, subject, "80101",
        measured={"reason": "identity number '12345' must be 12 digits"},
    )  # fmt: skip
    vi, _ = identity.messages()
    assert "must" not in vi and "không đúng quy định" in vi
    digits = Candidate(
        RuleCode.ATTR_INVALID_IDENTITY, subject, "80101",
        measured={"reason": "identity number must be 12 digits (CCCD) or 9 digits (CMND), "
                  "got '1234'"},
    )  # fmt: skip
    assert "phải có 12 chữ số (CCCD) hoặc 9 chữ số (CMND)" in digits.messages()[0]


def test_every_rules_fix_has_a_name_in_both_languages():
    for rule in RULES.values():
        vi, en = fix_label(rule.fix)
        assert rule.fix in FIX_LABELS and vi != en and not CODE.search(vi)
    labelled = labelled_suggestion({"fix": "snap_to_neighbour", "parcels": ["a", "b"]})
    assert labelled == {
        "fix": "snap_to_neighbour",
        "parcels": ["a", "b"],
        "label_vi": "Khớp ranh giới với thửa liền kề",
        "label_en": "Snap the boundary to the neighbouring parcel",
    }
    assert labelled_suggestion(None) is None


def test_missing_documents_are_named_not_coded():
    item = CheckItem("DOCUMENTS_MISSING", {"documents": ["notarised_contract", "Sổ hộ khẩu"]})
    vi, en = item.messages()
    assert vi == "Thiếu giấy tờ bắt buộc: Hợp đồng đã công chứng, chứng thực, Sổ hộ khẩu."
    assert en == "Required documents missing: Notarised contract, Sổ hộ khẩu."
    for code in procedures_config()["documents"]:
        name_vi, name_en = document_name(code)
        assert name_vi != code and name_en != code and not CODE.search(name_vi)


def test_register_findings_at_intake_are_named_by_rule_titles():
    item = CheckItem("REGISTER_FINDINGS", {"parcel": "80101-7-12", "findings": ["GEOM_GAP"]})
    vi, en = item.messages()
    assert "Hở giữa các thửa" in vi and "GEOM_GAP" not in vi and "Gap between parcels" in en


@pytest.mark.parametrize(
    "written",
    [
        "transfer",
        "Chuyển nhượng quyền sử dụng đất",
        "chuyen nhuong quyen su dung dat",
        "  CHUYỂN   NHƯỢNG quyền sử dụng ĐẤT ",
        unicodedata.normalize("NFD", "Chuyển nhượng quyền sử dụng đất"),  # marks apart
        "Transfer of land-use right",
    ],
)
def test_a_procedure_is_known_by_its_code_or_its_vietnamese_name(written):
    assert procedure_code(written) == "transfer"
    assert Application(written, datetime(2025, 3, 4, 9, 30)).procedure == "transfer"


def test_folding_keeps_letters_apart_that_differ_without_marks():
    assert folded("Đăng ký đất đai lần đầu") == "dang ky dat dai lan dau"
    assert known_procedure("xoa dang ky the chap") == "mortgage_release"
    assert known_procedure("dang ky the chap quyen su dung dat") == "mortgage_registration"
    assert known_procedure("chuyen nhuong") is None and known_procedure(None) is None


def test_an_unknown_procedure_lists_the_vietnamese_names():
    with pytest.raises(UnknownReferenceError) as refused:
        procedure_code("bán đất")
    error = refused.value
    assert error.field == "procedure" and error.value == "bán đất"
    said = error.detail_in("vi")
    assert "Chuyển nhượng quyền sử dụng đất" in said and "Xóa đăng ký thế chấp" in said
    assert not CODE.search(said)
    assert "transfer" in error.detail_in("en")
    # an unknown text is kept on the application, for the pre-check to refuse naming it
    assert Application("bán đất", datetime(2025, 3, 4, 9, 30)).procedure == "bán đất"


def test_an_error_without_vietnamese_keeps_its_english_detail():
    error = NotFoundError("no finding 7", field="finding_id", value=7)
    assert error.detail_in("vi") == "no finding 7" and error.title_in("vi") == "Không tìm thấy"
    translated = NotFoundError("no dossier X", detail_vi="không có hồ sơ X")
    assert translated.detail_in("vi") == "không có hồ sơ X"
    assert translated.detail_in("en") == "no dossier X" and translated.title_in("en") == "Not found"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "vi"),
        ("", "vi"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"),
        ("en;q=0.5, vi;q=0.8", "vi"),
        ("vi;q=0.2, en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9", "vi"),
        ("fr, en;q=0.3", "en"),
        ("*", "vi"),
        ("en, vi", "vi"),
        ("vi;q=0, *;q=0.5", "en"),
        ("en;q=abc", "vi"),
        ("en;q=7", "vi"),
        (";;,,=", "vi"),
    ],
)
def test_accept_language_chooses_english_only_when_preferred(header, language):
    assert preferred_language(header) == language


def test_fastapi_field_errors_in_vietnamese():
    le = {"type": "less_than_equal", "loc": ("query", "limit"), "ctx": {"le": 500}}
    assert field_problem_vi(le) == "phải ≤ 500"
    gt = {"type": "greater_than", "loc": ("body", "declared_area"), "ctx": {"gt": 0.0}}
    assert field_problem_vi(gt) == "phải > 0"
    assert field_problem_vi({"type": "missing", "loc": ("body", "x")}) == "bắt buộc phải có"
    literal = {"type": "literal_error", "ctx": {"expected": "'open', 'closed' or 'all'"}}
    assert field_problem_vi(literal) == "phải là một trong: 'open', 'closed' hoặc 'all'"
    assert field_problem_vi({"type": "some_new_type", "msg": "Input is odd"}) is None


def test_http_refusals_in_vietnamese():
    assert http_detail_vi("wrong username or password") == "sai tên đăng nhập hoặc mật khẩu"
    assert http_detail_vi("this needs the role registry_officer or cadastral_staff") == (
        "việc này cần vai trò cán bộ tiếp nhận, xử lý hồ sơ hoặc cán bộ địa chính"
    )
    assert http_detail_vi("at most 30 lookups a minute; try again in 12 s") == (
        "tối đa 30 lượt tra cứu mỗi phút; xin thử lại sau 12 giây"
    )
    assert http_detail_vi("something new") is None


@pytest.mark.parametrize("since", [date(2020, 12, 10), "2020-12-10"], ids=["date", "stored text"])
def test_a_pre_check_writes_dates_the_vietnamese_way_in_vietnamese(since):
    item = CheckItem("PARCEL_MORTGAGED", {"parcel": "25645-1-1019", "holder": "Ngân hàng A",
                                          "since": since})  # fmt: skip
    vi, en = item.messages()
    assert "từ 10/12/2020" in vi and "2020-12-10" not in vi
    assert "since 2020-12-10" in en


def test_a_links_evidence_reads_in_vietnamese_without_english_words():
    stored = (
        "sheet and parcel number as written; the applicant's identity number is a holder's "
        "(30.2 bits)"
    )
    vi = explanation_in(stored, "vi")
    assert vi == (
        "số tờ, số thửa đúng như đã ghi; số định danh của người nộp là của một chủ sử dụng "
        "(điểm 30.2 bit)"
    )
    assert explanation_in(stored, "en") == stored
    assert not re.search(r"\b(sheet|parcel|applicant|holder|bits)\b", vi)


def test_an_office_is_named_not_only_coded():
    assert office_name("H55.707", "vi").startswith("Chi nhánh") and "(H55.707)" in office_name(
        "H55.707", "vi"
    )
    assert office_name("Z99.999", "vi") == "Z99.999" and office_name(None, "vi") == "—"
