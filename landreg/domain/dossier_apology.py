"""The apology letter a late dossier needs ("Phiếu xin lỗi và hẹn lại ngày trả kết quả").

When a dossier will not be (or was not) processed by its due date, the office sends the
citizen a written apology with the reason and a new return date (Decree 61/2018/NĐ-CP on the
one-stop shop; the wording follows the apology form of Circular 01/2018/TT-VPCP). The letter
is content only: Vietnamese and English text, no layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from landreg.domain.dossier_clock import DossierClock
from landreg.domain.reference import procedures_config
from landreg.domain.working_days import HolidayCalendar, holiday_calendar
from landreg.errors import ValidationError

_DMY = "%d/%m/%Y"


@dataclass(frozen=True, slots=True)
class ApologyLetter:
    """What the apology letter says.

    Parameters
    ----------
    office : str
        The office that apologises (one-stop shop or land registration branch).
    dossier_code : str
        The dossier's receipt code ("mã hồ sơ").
    applicant_name : str
        Who filed the dossier ("người nộp hồ sơ").
    procedure_name_vi, procedure_name_en : str
        The procedure, from ``procedures.toml``.
    received_on, due_date, new_return_date, issued_on : date
        Receipt, the due date missed, the new date the result will be returned, the letter's date.
    reason_vi, reason_en : str
        Why the dossier is late.
    """

    office: str
    dossier_code: str
    applicant_name: str
    procedure_name_vi: str
    procedure_name_en: str
    received_on: date
    due_date: date
    new_return_date: date
    issued_on: date
    reason_vi: str
    reason_en: str

    def text_vi(self) -> str:
        """The letter in Vietnamese."""
        return "\n".join(
            [
                self.office.upper(),
                "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                f"Kính gửi: Ông/Bà {self.applicant_name}",
                f"Ngày {self.received_on:{_DMY}}, {self.office} tiếp nhận hồ sơ số "
                f"{self.dossier_code} về thủ tục {self.procedure_name_vi}; ngày hẹn trả kết "
                f"quả là ngày {self.due_date:{_DMY}}.",
                f"Hồ sơ chưa được giải quyết đúng hẹn. Lý do: {self.reason_vi}.",
                f"{self.office} xin lỗi Ông/Bà vì sự chậm trễ này và hẹn lại ngày trả kết quả "
                f"là ngày {self.new_return_date:{_DMY}}.",
                f"Ngày {self.issued_on:{_DMY}}",
            ]
        )

    def text_en(self) -> str:
        """The letter in English."""
        return "\n".join(
            [
                self.office.upper(),
                "APOLOGY AND NEW DATE FOR RETURNING THE RESULT",
                f"To: {self.applicant_name}",
                f"On {self.received_on:{_DMY}}, {self.office} received dossier "
                f"{self.dossier_code} for the procedure {self.procedure_name_en}; the result "
                f"was due on {self.due_date:{_DMY}}.",
                f"The dossier has not been processed on time. Reason: {self.reason_en}.",
                f"{self.office} apologises for the delay; the result will be returned on "
                f"{self.new_return_date:{_DMY}}.",
                f"Date: {self.issued_on:{_DMY}}",
            ]
        )

    def render_text(self) -> str:
        """Plain text: the Vietnamese letter, then the English one."""
        return f"{self.text_vi()}\n\n---\n\n{self.text_en()}\n"


def apology_letter(
    clock: DossierClock,
    *,
    office: str,
    dossier_code: str,
    applicant_name: str,
    new_return_date: date,
    issued_on: date,
    reason_vi: str,
    reason_en: str,
    calendar: HolidayCalendar | None = None,
) -> ApologyLetter:
    """The apology letter for a dossier that misses its due date.

    Parameters
    ----------
    clock : DossierClock
        The dossier's clock (:func:`~landreg.domain.dossier_clock.dossier_clock`).
    office, dossier_code, applicant_name : str
        Who apologises, for which dossier, to whom.
    new_return_date : date
        The new date: a working day after the due date.
    issued_on : date
        The letter's date, not after the new return date.
    reason_vi, reason_en : str
        Why the dossier is late, in both languages.
    calendar : HolidayCalendar, optional
        The province's calendar by default.

    Returns
    -------
    ApologyLetter

    Raises
    ------
    ValidationError
        A dossier never received, a new date not after the due date or not a working day, a
        letter dated after the new date, an empty reason.
    """
    if clock.received_at is None or clock.due_date is None:
        raise ValidationError(
            f"dossier {dossier_code} was never received: it has no due date to apologise for",
            field="dossier_code",
            value=dossier_code,
            detail_vi=f"hồ sơ {dossier_code} chưa được tiếp nhận nên chưa có hạn trả kết quả "
            "để xin lỗi",
        )
    _check_dates(clock.due_date, new_return_date, issued_on, calendar or holiday_calendar())
    for field, reason in (("reason_vi", reason_vi), ("reason_en", reason_en)):
        if not reason.strip():
            language = "tiếng Việt" if field == "reason_vi" else "tiếng Anh"
            raise ValidationError(
                f"{field} must say why the dossier is late",
                field=field,
                detail_vi=f"lý do hồ sơ trễ hạn ({language}) không được để trống",
            )
    procedure = procedures_config()["procedures"][clock.deadline.procedure]
    return ApologyLetter(
        office, dossier_code, applicant_name, procedure["name_vi"], procedure["name_en"],
        clock.received_at.date(), clock.due_date, new_return_date, issued_on,
        reason_vi.strip().rstrip("."), reason_en.strip().rstrip("."),
    )  # fmt: skip


def _check_dates(due: date, new: date, issued_on: date, calendar: HolidayCalendar) -> None:
    if new <= due:
        raise ValidationError(
            f"new_return_date {new.isoformat()} must be after the due date {due.isoformat()}",
            field="new_return_date",
            value=new.isoformat(),
            detail_vi=f"ngày hẹn trả mới {new:%d/%m/%Y} phải sau hạn trả kết quả {due:%d/%m/%Y}",
        )
    if not calendar.is_working_day(new):
        raise ValidationError(
            f"new_return_date {new.isoformat()} is not a working day",
            field="new_return_date",
            value=new.isoformat(),
            detail_vi=f"ngày hẹn trả mới {new:%d/%m/%Y} không phải ngày làm việc",
        )
    if issued_on > new:
        raise ValidationError(
            f"issued_on {issued_on.isoformat()} is after the new return date {new.isoformat()}",
            field="issued_on",
            value=issued_on.isoformat(),
            detail_vi=f"ngày ký thư xin lỗi {issued_on:%d/%m/%Y} sau ngày hẹn trả mới "
            f"{new:%d/%m/%Y}",
        )
