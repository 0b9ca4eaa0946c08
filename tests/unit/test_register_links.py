"""The matching ladder between the land register and the map, on small frames."""

from __future__ import annotations

import pandas as pd

from landreg.services.register_checks import link_entries


def _parcels(*keys):
    return pd.DataFrame(
        [
            {"id": i, "commune_code": "25459", "map_sheet": s, "parcel_number": n,
             "old_map_sheet": None, "old_parcel_number": None, "address": None,
             "measured_area": 100.0}
            for i, (s, n) in enumerate(keys, start=1)
        ]
    )  # fmt: skip


def _entries(*rows):
    return pd.DataFrame(
        [
            {"id": i, "commune_code": "25459", "map_sheet": s, "parcel_number": n,
             "certificate_serial": serial, "address": None, "legal_area": None}
            for i, (s, n, serial) in enumerate(rows, start=1)
        ]
    )  # fmt: skip


def test_a_co_holder_row_with_mistyped_numbers_follows_its_certificate():
    parcels = _parcels((1, 1), (1, 2), (1, 3))
    entries = _entries(
        (1, 1, "AB 123456"),  # husband, by key
        (1, 9, "AB 123456"),  # wife, numbers mistyped: same certificate
        (1, 2, "CD 000001"),
        (1, 3, "CD 000001"),  # one serial on two parcels: a defect, not a link
        (1, 8, "CD 000001"),
        (1, 7, "EF 999999"),  # nothing to follow
    )
    links = link_entries(parcels, entries).set_index("register_entry_id")
    assert links.loc[1, "match_type"] == "key" and links.loc[2, "match_type"] == "serial"
    assert links.loc[2, "parcel_id"] == 1
    assert 5 not in links.index and 6 not in links.index
