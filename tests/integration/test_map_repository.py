"""What the staff's map reads beyond the published layers, on both backends: the revision
changes with every change and only then, parcels are found by every number they have had,
by address without diacritics, and a parcel's versions and findings are found."""

from __future__ import annotations

import pytest

from landreg.services import map_search, map_workbench, queue
from landreg.services.register import change_parcel
from landreg.store.unit_of_work import UnitOfWork
from tests.serving import take_in_long_an


def test_the_maps_reads_agree_on_both_backends(register_db):
    take_in_long_an(register_db)
    with UnitOfWork(register_db) as uow:
        first = uow.map.revision()
        assert uow.map.revision() == first and first.open == first.open_errors + (
            first.open_warnings
        )
        [overlap] = queue.page(uow, rule="GEOM_OVERLAP", limit=1, offset=0)[1]
        target, other = overlap.parcel_ids
        parcel = uow.parcels.get(target)
        by_address = uow.map.parcel_ids_by_address(
            [map_search.folded(parcel.address or "")], limit=10
        )
        assert target in by_address
        assert uow.map.finding_ids_naming(target, status="open")[:1] == [overlap.id]
        bounds = uow.map.parcel_bounds([target, other, 10**8])
        assert set(bounds) == {target, other}
        assert bounds[target] == pytest.approx(parcel.geometry.bounds, abs=1e-6)

    with UnitOfWork(register_db) as uow:
        change_parcel(
            uow, target, {"parcel_number": 9001, "old_map_sheet": 77, "old_parcel_number": 66},
            actor="do_dac",
        )  # fmt: skip
    with UnitOfWork(register_db) as uow:
        second = uow.map.revision()
        assert second.revision != first.revision and second.open == first.open
        sheet = parcel.map_sheet
        assert (target, "current") in uow.map.parcel_ids_by_numbers("27694", sheet, 9001, limit=5)
        assert (target, "old") in uow.map.parcel_ids_by_numbers(None, 77, 66, limit=5)
        found = dict(uow.map.parcel_ids_by_numbers("27694", sheet, parcel.parcel_number, limit=5))
        assert found.get(target) in ("register", "earlier")
        notes = uow.map.version_notes(target)
        assert [n.version for n in notes] == [1, 2]
        assert notes[0].valid_to == notes[1].valid_from and notes[1].changed_by == "do_dac"
        view = map_workbench.parcel_view(uow, target)
        assert [v.why_vi for v in view.versions][1] == "Sửa thông tin thửa"
        assert view.versions[0].why_vi.startswith("Nhận từ tệp 27694_phuong_long_an.gpkg")

    with UnitOfWork(register_db) as uow:
        queue.dismiss(uow, overlap.id, "đã kiểm tra ngoài thực địa", actor="do_dac")
    with UnitOfWork(register_db) as uow:
        third = uow.map.revision()
        assert third.revision not in (first.revision, second.revision)
        assert (third.open, third.open_errors) == (second.open - 1, second.open_errors - 1)
        assert uow.map.finding_ids_naming(target, status="open") == []
        assert overlap.id in uow.map.finding_ids_naming(target)
