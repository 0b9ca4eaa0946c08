"""Parcel attributes of one commune: map sheet, numbers, lineage, land use, address.

Parcels are numbered per map sheet from 1, north-west to south-east in rows. A few percent
are the two children of a subdivision ("tách thửa"): the parent's number is retired and the
children get the next free numbers at the end of the sheet. Re-surveyed communes keep the
old sheet and parcel numbers of the previous map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from sample_data.coverage import Coverage
from sample_data.places import HAMLETS, RURAL_USE, STREETS, URBAN_USE

SPLIT_SHARE = 0.03


def _grid_cell(points: np.ndarray, grid: tuple[float, float, float, int]) -> np.ndarray:
    """Sheet number (1..k²) of each point in a k × k grid numbered from the north-west."""
    x0, y1, side, k = grid
    col = np.clip(((shapely.get_x(points) - x0) // side).astype(np.int64), 0, k - 1)
    row = np.clip(((y1 - shapely.get_y(points)) // side).astype(np.int64), 0, k - 1)
    return row * k + col + 1


def _reading_order(sheet: np.ndarray, x: np.ndarray, y: np.ndarray, band: float) -> np.ndarray:
    """Indices sorting parcels by sheet, then rows from the north, then west to east."""
    return np.lexsort((x, np.floor(-y / band), sheet))


def _group_rank(groups: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """1-based running count of ``counted`` within each group, in array order."""
    frame = pd.DataFrame({"g": groups, "c": counted.astype(np.int64)})
    return frame.groupby("g", sort=False)["c"].cumsum().to_numpy()


def _split_pairs(rng, parcels, sheet, block, share: float) -> np.ndarray:
    """Mask of the second parcel of each chosen subdivision pair (parcels in reading order)."""
    first = np.arange(0, len(parcels) - 1, 2)
    same = (sheet[first] == sheet[first + 1]) & (block[first] == block[first + 1])
    first = first[same]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(parcels[first]), shapely.boundary(parcels[first + 1]))
    )
    first = first[(shared > 3.0) & (rng.random(len(first)) < 2 * share)]
    second = np.zeros(len(parcels), dtype=bool)
    second[first + 1] = True
    return second


def _numbers(sheet: np.ndarray, second: np.ndarray):
    """Current and parent numbers after the subdivisions marked by ``second``."""
    child = second | np.roll(second, -1)
    pre = _group_rank(sheet, ~second)
    last = pd.Series(pre).groupby(sheet).transform("max").to_numpy()
    number = np.where(child, last + _group_rank(sheet, child), pre)
    parent = np.where(child, pre, 0)
    return number, parent


def _old_numbers(rng, points, grid, second: np.ndarray, resurveyed: bool):
    """Sheet and parcel numbers on the map before the re-survey (0 where unknown)."""
    if not resurveyed:
        return np.zeros(len(points), np.int64), np.zeros(len(points), np.int64)
    x0, y1, side, k = grid
    old_k = max(1, k // 2)
    old_sheet = _grid_cell(points, (x0, y1, side * k / old_k, old_k))
    x, y = shapely.get_x(points), shapely.get_y(points)
    order = np.lexsort((-y, np.floor(x / 40.0), old_sheet))
    old_number = np.empty(len(points), np.int64)
    old_number[order] = _group_rank(old_sheet[order], ~second[order])
    known = rng.random(len(points)) > 0.08
    return np.where(known, old_sheet, 0), np.where(known, old_number, 0)


def _land_use(rng, block: np.ndarray, n_blocks: int, urban: bool) -> np.ndarray:
    table = URBAN_USE if urban else RURAL_USE
    codes = np.array([code for code, _ in table], dtype=object)
    weights = np.array([share for _, share in table], dtype=float)
    weights /= weights.sum()
    dominant = rng.choice(codes, size=n_blocks, p=weights)
    own = rng.choice(codes, size=len(block), p=weights)
    return np.where(rng.random(len(block)) < 0.72, dominant[block], own)


def _addresses(rng, sheet, block, n_blocks: int, urban: bool) -> tuple[np.ndarray, np.ndarray]:
    """Hamlet (rural "Ấp ...") or quarter (urban "Khu phố n") and the local address."""
    n_places = max(2, int(np.sqrt(sheet.max())) + 1)
    if urban:
        place = np.array([f"Khu phố {i}" for i in range(1, n_places + 1)], dtype=object)
        street = rng.choice(np.array(STREETS, dtype=object), size=n_blocks)[block]
        house = 2 * _group_rank(block, np.ones(len(block), bool))
        house = house - rng.integers(0, 2, size=len(block))
        hamlet = place[(sheet - 1) % n_places]
        local = "Số " + house.astype(str).astype(object) + " đường " + street + ", " + hamlet
        return hamlet, local
    names = rng.choice(np.array(HAMLETS, dtype=object), size=n_places, replace=False)
    hamlet = "Ấp " + names[(sheet - 1) % n_places]
    return hamlet, hamlet.copy()


def commune_parcels(rng, code: str, cov: Coverage, urban: bool, resurveyed: bool, crs: int):
    """The parcels of a commune with their keys and attributes, in reading order.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``commune_code, sheet, number, parent_number, old_sheet, old_number, block,
        land_use, hamlet, address_local, area`` and the geometry in the cadastral CRS.
    """
    points = shapely.point_on_surface(cov.parcels)
    sheet = _grid_cell(points, cov.sheet_grid)
    band = float(np.sqrt(np.median(cov.block_size)) * 1.6)
    order = _reading_order(sheet, shapely.get_x(points), shapely.get_y(points), band)
    parcels, sheet, block, points = (
        cov.parcels[order],
        sheet[order],
        cov.parcel_block[order],
        points[order],
    )
    second = _split_pairs(rng, parcels, sheet, block, SPLIT_SHARE)
    number, parent = _numbers(sheet, second)
    old_sheet, old_number = _old_numbers(rng, points, cov.sheet_grid, second, resurveyed)
    hamlet, local = _addresses(rng, sheet, block, len(cov.blocks), urban)
    frame = pd.DataFrame(
        {
            "commune_code": code, "sheet": sheet, "number": number, "parent_number": parent,
            "old_sheet": old_sheet, "old_number": old_number, "block": block,
            "land_use": _land_use(rng, block, len(cov.blocks), urban),
            "hamlet": hamlet, "address_local": local, "area": shapely.area(parcels),
        }
    )  # fmt: skip
    return gpd.GeoDataFrame(frame, geometry=parcels, crs=crs)
