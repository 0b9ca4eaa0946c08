"""A row of the land register as written, the way a parcel's record cites it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One row of the land register ("sổ địa chính"): one parcel and one holder, as written.

    Parameters
    ----------
    id : int
        The entry's id in the register.
    source_name, source_row, source_batch_id :
        Where it came from: the source, the row in the delivered file, the batch.
    legal_area, land_use_code, address :
        The parcel's legal area (m²), land-use code and address as the register has them.
    holder_name, holder_kind, identity_number, birth_year, share_percent, term_text :
        The holder ("chủ sử dụng") and the right: share in percent, term as written.
    certificate_serial, issued_on, book_entry :
        The certificate ("Giấy chứng nhận") evidencing the right.
    mortgage_holder, mortgage_on, seizure_text :
        Restrictions written on the row: a mortgage and since when, a seizure.
    match_type : str
        How reconciliation linked it to the map parcel (``key``, ``old_key``, …).
    """

    id: int
    match_type: str
    source_name: str | None = None
    source_row: str | None = None
    source_batch_id: int | None = None
    legal_area: float | None = None
    land_use_code: str | None = None
    address: str | None = None
    holder_name: str | None = None
    holder_kind: str | None = None
    identity_number: str | None = None
    birth_year: int | None = None
    share_percent: float | None = None
    term_text: str | None = None
    certificate_serial: str | None = None
    issued_on: date | None = None
    book_entry: str | None = None
    mortgage_holder: str | None = None
    mortgage_on: date | None = None
    seizure_text: str | None = None
