"""Event histories and the two exports of the one-stop-shop system.

2021-2022 dossiers: ``dossiers/ho_so_2021_2022.csv`` (``;``, UTF-8 with BOM, Vietnamese
headings) and their history in ``dossiers/lich_su_2021_2022.csv``. 2023 dossiers:
``dossiers/ho_so_2023.json``, camelCase fields as the national portal's API, history nested.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sample_data.calendar import add_working_days
from sample_data.dossiers import STATUSES
from sample_data.writers import write_csv, write_json_records

CSV_PATH = "dossiers/ho_so_2021_2022.csv"
EVENTS_PATH = "dossiers/lich_su_2021_2022.csv"
JSON_PATH = "dossiers/ho_so_2023.json"
STATUS_VI = {
    "new": "Mới", "received": "Đã tiếp nhận", "not_received": "Không tiếp nhận",
    "processing": "Đang xử lý", "additional_documents_requested": "Yêu cầu bổ sung hồ sơ",
    "financial_obligation_required": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Công dân rút hồ sơ", "stopped": "Dừng xử lý", "processed": "Đã xử lý xong",
    "result_returned": "Đã trả kết quả",
}  # fmt: skip
STATUS_CODE = {status: i for i, status in enumerate(STATUSES, 1)}
NATIONAL_IDS = {
    "first_registration": "1.012757", "first_certificate": "1.012758", "transfer": "1.012790",
    "inheritance": "1.012791", "gift": "1.012792", "capital_contribution": "1.012793",
    "subdivision": "1.012801", "merger": "1.012802", "certificate_exchange": "1.012810",
    "reissuance": "1.012815", "correction": "1.012820", "land_use_change": "1.012830",
    "land_use_change_permit": "1.012831", "mortgage_registration": "1.011442",
    "mortgage_release": "1.011443",
}  # fmt: skip
CSV_COLUMNS = {
    "stt": "STT",
    "code": "Mã hồ sơ",
    "procedure_code": "Mã thủ tục",
    "procedure_name": "Tên thủ tục",
    "received_text": "Ngày tiếp nhận",
    "due_text": "Ngày hẹn trả",
    "processed_text": "Ngày hoàn thành",
    "returned_text": "Ngày trả kết quả",
    "status_vi": "Trạng thái",
    "applicant": "Người nộp",
    "applicant_identity": "Số CCCD/CMND",
    "phone": "Điện thoại",
    "ref_commune": "Xã/Phường",
    "ref_sheet": "Tờ bản đồ",
    "ref_number": "Thửa đất",
    "ref_serial": "Số seri GCN",
    "requested_use": "Mục đích xin chuyển",
    "documents_text": "Giấy tờ đã nộp",
}
EVENT_COLUMNS = {
    "code": "Mã hồ sơ",
    "time": "Thời điểm",
    "status_vi": "Trạng thái",
    "step": "Bước xử lý",
    "note": "Ghi chú",
}


def _at(days: np.ndarray, hour: int, minute: int = 0) -> np.ndarray:
    return days.astype("datetime64[m]") + np.timedelta64(hour * 60 + minute, "m")


def _event(mask: np.ndarray, time: np.ndarray, status: str, step: str, note="") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dossier": np.flatnonzero(mask),
            "time": time[mask],
            "status": status,
            "step": step,
            "note": note if isinstance(note, str) else note[mask],
        }
    )


def _intake_events(d: pd.DataFrame) -> list[pd.DataFrame]:
    """Submission, receipt or rejection at the one-stop shop, hand-over to the branch."""
    status, t0 = d["status"].to_numpy(), d["received_at"].to_numpy()
    minutes = {n: t0 + np.timedelta64(n, "m") for n in (10, 20, 40)}
    started = ~np.isin(status, ["new", "received", "not_received"])
    accepted = ~np.isin(status, ["new", "not_received"])
    rejected = status == "not_received"
    return [
        _event(np.ones(len(d), dtype=bool), t0, "new", "Nộp hồ sơ"),
        _event(accepted, minutes[10], "received", "Bộ phận một cửa tiếp nhận"),
        _event(
            rejected, minutes[40], "not_received", "Bộ phận một cửa", "Hồ sơ không đủ thành phần"
        ),
        _event(started, minutes[20], "processing", "Chuyển Chi nhánh Văn phòng đăng ký đất đai"),
    ]


def _processing_events(d: pd.DataFrame) -> list[pd.DataFrame]:
    """Tax pause, requests, apology letters, the end of processing and the return."""
    status, t0 = d["status"].to_numpy(), d["received_at"].to_numpy()
    started = ~np.isin(status, ["new", "received", "not_received"])
    finished = np.isin(status, ["processed", "result_returned"])
    paused = (d["pause"].to_numpy() > 0) & started
    late = finished & (d["processed"].to_numpy() > d["due"].to_numpy())
    resumed = _at(add_working_days(t0.astype("datetime64[D]"), d["pause"].to_numpy()), 9)
    processed, new_date = d["processed"].to_numpy(), d["processed"].dt.strftime("%d/%m/%Y")
    ended = np.isin(status, ["withdrawn", "stopped"])
    return [
        _event(paused, t0 + np.timedelta64(30, "m"), "financial_obligation_required",
               "Chuyển thông tin thuế"),
        _event(paused & (status != "financial_obligation_required"), resumed, "processing",
               "Đã hoàn thành nghĩa vụ tài chính"),
        _event(status == "additional_documents_requested", t0 + np.timedelta64(60, "m"),
               "additional_documents_requested", "Chuyên viên thẩm định"),
        _event(late, _at(d["due"].to_numpy(), 16, 40), "processing", "Gửi thư xin lỗi",
               ("Hẹn lại ngày trả kết quả " + new_date).to_numpy(dtype=object)),
        _event(ended, _at(processed, 10), "", "Kết thúc hồ sơ"),
        _event(finished, _at(processed, 16, 45), "processed", "Ký duyệt kết quả"),
        _event(status == "result_returned", _at(d["returned"].to_numpy(), 17), "result_returned",
               "Trả kết quả cho công dân"),
    ]  # fmt: skip


def events(d: pd.DataFrame) -> pd.DataFrame:
    """The processing history of every dossier, in time order.

    A dossier waiting for its tax to be paid (``financial_obligation_required``) has started
    processing; its last event is the tax request.
    """
    out = pd.concat(_intake_events(d) + _processing_events(d), ignore_index=True)
    ends = out["status"] == ""
    out.loc[ends, "status"] = d["status"].to_numpy()[out.loc[ends, "dossier"].to_numpy()]
    return out.sort_values(["dossier", "time"], kind="stable").reset_index(drop=True)


def dossier_codes(d: pd.DataFrame) -> np.ndarray:
    """``<agency>-<yymmdd>-<seq>`` with a sequence per agency and day, in receipt order."""
    day = d["received_at"].dt.strftime("%y%m%d")
    order = d.sort_values(["agency", "received_at"], kind="stable")
    seq = order.groupby(["agency", day.loc[order.index]]).cumcount() + 1
    seq = seq.reindex(d.index)
    return (d["agency"] + "-" + day + "-" + seq.astype(str).str.zfill(4)).to_numpy(dtype=object)


def _texts(d: pd.DataFrame) -> pd.DataFrame:
    fmt = "%d/%m/%Y"
    open_ = d["status"].isin(["new", "received", "processing", "additional_documents_requested",
                              "financial_obligation_required"])  # fmt: skip
    ended = ~open_ & (d["status"] != "not_received")
    return d.assign(
        received_text=d["received_at"].dt.strftime("%d/%m/%Y %H:%M"),
        due_text=d["due"].dt.strftime(fmt),
        processed_text=d["processed"].dt.strftime(fmt).where(ended, ""),
        returned_text=d["returned"].dt.strftime(fmt).where(d["status"] == "result_returned", ""),
        status_vi=d["status"].map(STATUS_VI),
        documents_text=d["documents"].map(lambda docs: "|".join(docs)),
    )


def write_csv_export(root: Path, d: pd.DataFrame, history: pd.DataFrame) -> None:
    """The 2021-2022 export and its history file."""
    texts = _texts(d)
    write_csv(
        root / CSV_PATH, texts[list(CSV_COLUMNS)].rename(columns=CSV_COLUMNS), sep=";", bom=True
    )
    h = history.assign(
        code=d["code"].to_numpy()[history["dossier"].to_numpy()],
        time=history["time"].dt.strftime("%d/%m/%Y %H:%M"),
        status_vi=history["status"].map(STATUS_VI),
    )
    write_csv(
        root / EVENTS_PATH, h[list(EVENT_COLUMNS)].rename(columns=EVENT_COLUMNS), sep=";", bom=True
    )


_ISO = "%Y-%m-%dT%H:%M:00+07:00"


def _history_lists(history: pd.DataFrame, count: int) -> list[list[dict]]:
    """The history of each dossier as JSON objects, built from column lists in one pass."""
    bounds = np.searchsorted(history["dossier"].to_numpy(), np.arange(count + 1))
    steps = [
        {"thoiDiem": t, "trangThai": STATUS_CODE[s], "buocXuLy": b, "ghiChu": n or None}
        for t, s, b, n in zip(
            history["time"].dt.strftime(_ISO).tolist(), history["status"].tolist(),
            history["step"].tolist(), history["note"].tolist(), strict=True,
        )
    ]  # fmt: skip
    return [steps[bounds[i] : bounds[i + 1]] for i in range(count)]


def write_json_export(root: Path, d: pd.DataFrame, history: pd.DataFrame) -> None:
    """The 2023 export: one object per dossier with its history nested."""
    texts = _texts(d).assign(
        received_iso=d["received_at"].dt.strftime(_ISO),
        due_iso=d["due"].dt.strftime("%Y-%m-%d"),
        processed_iso=d["processed"].dt.strftime("%Y-%m-%d"),
        returned_iso=d["returned"].dt.strftime("%Y-%m-%d"),
        history=_history_lists(history, len(d)),
    )
    needed = ["stt", "code", "procedure_code", "procedure_name", "received_iso", "due_iso",
              "processed_iso", "processed_text", "returned_iso", "returned_text", "status",
              "status_vi", "applicant", "applicant_identity", "phone", "ref_commune", "ref_sheet",
              "ref_number", "ref_serial", "requested_use", "documents", "history"]  # fmt: skip
    columns = {name: texts[name].tolist() for name in needed}
    records = [_json_record({k: v[i] for k, v in columns.items()}) for i in range(len(d))]
    write_json_records(root / JSON_PATH, records)


def _json_record(row: dict) -> dict:
    return {
        "stt": int(row["stt"]), "maHoSo": row["code"], "maThuTuc": row["procedure_code"],
        "tenThuTuc": row["procedure_name"], "ngayTiepNhan": row["received_iso"],
        "ngayHenTra": row["due_iso"],
        "ngayHoanThanh": row["processed_iso"] if row["processed_text"] else None,
        "ngayTraKetQua": row["returned_iso"] if row["returned_text"] else None,
        "trangThai": STATUS_CODE[row["status"]], "tenTrangThai": row["status_vi"],
        "chuHoSo": {"hoTen": row["applicant"], "soGiayTo": row["applicant_identity"],
                    "soDienThoai": row["phone"]},
        "thuaDat": {"xaPhuong": row["ref_commune"], "soTo": row["ref_sheet"],
                    "soThua": row["ref_number"], "soSeri": row["ref_serial"] or None},
        "mucDichXinChuyen": row["requested_use"] or None,
        "giayToNop": list(row["documents"]),
        "lichSu": row["history"],
    }  # fmt: skip
