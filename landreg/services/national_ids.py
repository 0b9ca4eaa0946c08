"""Assigning the national parcel identifier (mã định danh thửa đất) when the register is reconciled.

The identifier is computed by :func:`spatial.national_id.national_ids` (a 12-character GeoHash
of the parcel's pole of inaccessibility, in WGS 84). It is assigned once and kept while the
parcel exists:

- every current parcel without one gets one;
- a later correction of the boundary keeps it, as long as the point it stands for still lies
  in the parcel (within ``KEPT_WITHIN``); a boundary moved away from that point is no longer
  the parcel the identifier named, and the parcel gets a new one (the old stays in history);
- the parcels a subdivision or merger creates are new parcels and get new identifiers; the
  parcel they came from keeps its identifier in its history and in the lineage
  (:mod:`landreg.services.lineage`), and an identifier once held is never given to another
  parcel: a child whose point falls in its parent's cell (a cut that missed the parent's
  inscribed circle) takes the nearest free cell inside it;
- two parcels never share one: when a parcel computes the identifier another current parcel
  holds (duplicate boundaries, say), it gets none and the finding
  ``GEOM_NATIONAL_ID_COLLISION`` names both, until one of them is resolved;
- a delivery that carries identifiers (the ``national_id`` field of a map profile) is checked
  against the parcel's identifier: a difference is the finding ``SRC_NATIONAL_ID_MISMATCH``,
  naming both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import shapely

from landreg.domain.model import Parcel
from landreg.domain.rules import RuleCode
from landreg.errors import NotFoundError, ValidationError
from landreg.services.findings import Candidate, parcel_subject
from landreg.store.unit_of_work import UnitOfWork
from spatial.national_id import (
    PATTERN,
    identifier_points,
    is_national_id,
    national_ids,
    neighbours,
    polygonal,
)

# How far (metres) the point an identifier stands for may lie outside a corrected boundary
# for the parcel to keep it (a GeoHash cell of 12 characters is about 3.7 × 1.9 cm).
KEPT_WITHIN = 0.05


def assign(
    uow: UnitOfWork, parcels: pd.DataFrame, communes: list[str] | None = None
) -> list[Candidate]:
    """Give the ``parcels`` (as reconciling reads them) their identifiers; returns the
    findings about identifiers (collisions, deliveries that disagree). The caller commits.

    ``communes`` limits nothing here (``parcels`` is already limited); identifiers are kept
    unique across the whole register.
    """
    del communes
    if parcels.empty:
        return []
    srid = uow.database.cadastral_srid
    register = uow.national_ids.identifiers().set_index("id")
    held = register["national_id"].reindex(parcels["id"].to_numpy()).to_numpy(dtype=object)
    delivered = (
        register["delivered_national_id"].reindex(parcels["id"].to_numpy()).to_numpy(dtype=object)
    )
    geometry = parcels["geometry"].to_numpy(dtype=object)
    well_formed = pd.Series(held, dtype=object).str.fullmatch(PATTERN).fillna(False)
    has_id = pd.notna(held)
    moved = has_id & ~_still_inside(held, geometry, has_id & well_formed.to_numpy(bool), srid)
    needed = ~has_id | moved
    computed = np.full(len(parcels), None, dtype=object)
    if needed.any():
        computed[needed] = national_ids(geometry[needed], srid)
        _never_again(uow, computed, needed, geometry, held, srid)
    final = held.copy()
    final[needed] = None
    found = _claim(parcels, register, computed, needed, moved, final)
    found += _mismatches(parcels, delivered, final, computed)
    changed = needed & (final != held)
    uow.national_ids.assign(
        pd.DataFrame(
            {"parcel_id": parcels["id"].to_numpy()[changed], "national_id": final[changed]}
        )
    )
    return found


def _never_again(
    uow: UnitOfWork,
    computed: np.ndarray,
    needed: np.ndarray,
    geometry: np.ndarray,
    held: np.ndarray,
    srid: int,
) -> None:
    """Give a parcel whose point falls in the cell of a parcel that ended (a child of a
    subdivision that kept the old point inside it) the nearest free cell whose middle lies
    in it instead (:func:`spatial.national_id.neighbours`, in their fixed order)."""
    ended = uow.national_ids.ended_identifiers()
    if not ended:
        return
    blocked = needed & pd.Series(computed, dtype=object).isin(ended).to_numpy()
    taken = ended | {str(value) for value in held if value is not None}
    for position in np.flatnonzero(blocked):
        choices = neighbours(str(computed[position]))
        points = identifier_points(np.array(choices, dtype=object), srid)
        shape = polygonal(geometry[[position]])[0]
        inside = shapely.contains(shape, points)
        free = [c for c, ok in zip(choices, inside, strict=True) if ok and c not in taken]
        computed[position] = free[0] if free else None
        taken.update(free[:1])


def _claim(
    parcels: pd.DataFrame,
    register: pd.DataFrame,
    computed: np.ndarray,
    needed: np.ndarray,
    moved: np.ndarray,
    final: np.ndarray,
) -> list[Candidate]:
    """Give each parcel that needs one its computed identifier (into ``final``) unless another
    current parcel holds it, or computed it first (by id); those collide."""
    ids = parcels["id"].to_numpy()
    positions = np.flatnonzero(needed & pd.notna(computed))
    if len(positions) == 0:
        return []
    wanted = pd.Series(computed[positions], dtype=object)
    kept = register["national_id"].drop(index=ids[moved], errors="ignore").dropna()
    kept = kept[~kept.duplicated()]
    holder = pd.Series(kept.index.to_numpy(), index=kept.to_numpy())
    held_by = wanted.map(holder)
    first = ~wanted.duplicated(keep="first").to_numpy()
    free = held_by.isna().to_numpy() & first
    final[positions[free]] = computed[positions[free]]
    owner = pd.Series(ids[positions[free]], index=computed[positions[free]])
    other = held_by.fillna(wanted.map(owner)).to_numpy()
    found = []
    for index in np.flatnonzero(~free):
        row = next(parcels.iloc[[positions[index]]].itertuples(index=False))
        found.append(_collision(row, str(wanted.iat[index]), register, int(other[index])))
    return found


def parcel_id_with(uow: UnitOfWork, national_id: str) -> int:
    """The current parcel holding ``national_id`` (12 characters of the GeoHash alphabet);
    raises :class:`ValidationError` for a malformed one, :class:`NotFoundError` when no
    current parcel holds it."""
    text = national_id.strip().lower()
    if not is_national_id(text):
        raise ValidationError(
            "a national parcel identifier is 12 characters of the GeoHash alphabet "
            "(digits and lower-case letters except a, i, l, o)",
            field="national_id",
            value=national_id,
            detail_vi="mã định danh thửa đất gồm 12 ký tự GeoHash (chữ số và chữ thường, "
            "trừ a, i, l, o)",
        )
    found = uow.national_ids.parcel_with(text)
    if found is None:
        became = uow.lineage.children_of_identifier(text)
        if became:
            keys = ", ".join(became)
            raise NotFoundError(
                f"the parcel with the national identifier {text} no longer exists; it became "
                f"{keys}",
                field="national_id",
                value=text,
                detail_vi=f"thửa đất mang mã định danh {text} không còn; thửa đã được tách, hợp "
                f"thành {keys}",
            )
        raise NotFoundError(
            f"no current parcel has the national identifier {text}",
            field="national_id",
            value=text,
            detail_vi=f"không có thửa đất nào đang mang mã định danh {text}",
        )
    return found


def parcel_with_national_id(uow: UnitOfWork, national_id: str) -> Parcel:
    """The current parcel holding ``national_id`` (see :func:`parcel_id_with`)."""
    return uow.parcels.get(parcel_id_with(uow, national_id))


def _still_inside(
    held: np.ndarray, geometry: np.ndarray, has_id: np.ndarray, srid: int
) -> np.ndarray:
    """Whether the point each held (well-formed) identifier stands for still lies in its
    parcel."""
    inside = np.ones(len(held), dtype=bool)
    usable = has_id & ~shapely.is_missing(geometry)
    if not usable.any():
        return inside
    points = identifier_points(held[usable].astype(str), srid)
    shapes = geometry[usable]
    broken = ~shapely.is_valid(shapes)
    if broken.any():
        shapes = shapes.copy()
        shapes[broken] = polygonal(shapes[broken])
    inside[usable] = shapely.dwithin(shapes, points, KEPT_WITHIN)
    return inside


def _collision(row: Any, identifier: str, register: pd.DataFrame, other: int) -> Candidate:
    holder = parcel_subject(register.loc[[other]].reset_index().iloc[0])
    subjects = [parcel_subject(row), holder]
    measured = {"national_id": identifier, "other": holder["key"]}
    return Candidate(
        RuleCode.GEOM_NATIONAL_ID_COLLISION, subjects, row.commune_code, None, measured
    )


def _mismatches(
    parcels: pd.DataFrame, delivered: np.ndarray, final: np.ndarray, computed: np.ndarray
) -> list[Candidate]:
    """A finding for each parcel whose delivered identifier is not landreg's."""
    found = []
    for position in np.flatnonzero(pd.notna(delivered)):
        given = str(delivered[position]).strip()
        ours = final[position] if final[position] is not None else computed[position]
        if not given or ours is None or given.lower() == ours:
            continue
        row = next(parcels.iloc[[position]].itertuples(index=False))
        found.append(
            Candidate(
                RuleCode.SRC_NATIONAL_ID_MISMATCH,
                [parcel_subject(row)],
                row.commune_code,
                None,
                {"source": row.source_name, "delivered": given, "computed": ours},
            )
        )
    return found
