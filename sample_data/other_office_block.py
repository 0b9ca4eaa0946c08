"""The other office's parcels before they are placed: a block of rows, and defects planted in it.

A block is laid out in local metres (u east, v north) as rows of random depth cut into
parcels of random frontage. Where one row's corner falls on the next row's edge, the vertex
is on both parcels' rings, so the clean block is an exact coverage; every vertex a defect
adds on a shared edge is added to both sides too, so that only the defect differs after the
coordinates are projected and rounded. See ``sample_data/other_office.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import shapely

Point = tuple[float, float]


# --- the block: rows of parcels, every shared vertex on both sides ---------------------------


@dataclass
class Block:
    """Parcels in rows (local metres, v to the north); vertices on each shared line."""

    levels: list[float]
    cuts: list[list[float]]
    across: list[set[float]]  # u of the vertices on horizontal line r (bottom of row r)
    up: dict[tuple[int, float], set[float]]  # v of the vertices on the edge at u of row r
    cells: list[tuple[int, int]]

    def bounds(self, r: int, i: int) -> tuple[float, float, float, float]:
        """u0, u1, v0, v1 of the parcel in row ``r``, place ``i``."""
        return self.cuts[r][i], self.cuts[r][i + 1], self.levels[r], self.levels[r + 1]


def layout(rng: np.random.Generator, width: float, rows: int) -> Block:
    """``rows`` rows 18-32 m deep across ``width`` m, cut into parcels 8-20 m wide (the last
    of a row 8-28 m); no corner of a row within 1 m of a corner of the row below."""
    depths = np.round(rng.uniform(18.0, 32.0, rows), 2)
    levels = [0.0, *np.round(np.cumsum(depths), 2).tolist()]
    cuts: list[list[float]] = []
    for _ in range(rows):
        row, u = [0.0], 0.0
        while True:
            u = round(u + float(rng.uniform(8.0, 20.0)), 2)
            while cuts and min(abs(u - c) for c in cuts[-1]) < 1.0:
                u = round(u + 1.1, 2)  # no two rows' corners closer than 1 m
            if u > width - 8.0:
                break
            row.append(u)
        cuts.append([*row, width])
    across = [set(cuts[max(r - 1, 0)]) | set(cuts[min(r, rows - 1)]) for r in range(rows + 1)]
    up = {(r, c): {levels[r], levels[r + 1]} for r in range(rows) for c in cuts[r]}
    cells = [(r, i) for r in range(rows) for i in range(len(cuts[r]) - 1)]
    return Block(levels, cuts, across, up, cells)


def _ring(block: Block, r: int, i: int) -> list[tuple[float, float]]:
    """The parcel's ring, counter-clockwise from its south-west corner, with every vertex
    of its neighbours that lies on its edges."""
    u0, u1, v0, v1 = block.bounds(r, i)
    bottom = sorted(u for u in block.across[r] if u0 <= u <= u1)
    right = sorted(v for v in block.up[(r, u1)] if v0 < v < v1)
    top = sorted((u for u in block.across[r + 1] if u0 <= u <= u1), reverse=True)
    left = sorted((v for v in block.up[(r, u0)] if v0 < v < v1), reverse=True)
    return (
        [(u, v0) for u in bottom]
        + [(u1, v) for v in right]
        + [(u, v1) for u in top]
        + [(u0, v) for v in left]
    )


# --- planting: choose parcels, reserve the vertices both sides share, then reshape ----------


@dataclass
class Planted:
    """One planted defect: its kind, its parcels (positions in the block), where it is."""

    kind: str
    cells: list[int]
    where: tuple[float, float] | None = None  # local metres
    within: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)


class Planter:
    """Takes distinct parcels for each defect and records how each is reshaped."""

    def __init__(self, rng: np.random.Generator, block: Block) -> None:
        self.rng, self.block = rng, block
        self.free = np.ones(len(block.cells), dtype=bool)
        self.index = {cell: n for n, cell in enumerate(block.cells)}
        self.pushes: dict[int, list[tuple[Point, Point, float]]] = {}
        self.reshape: dict[int, tuple[Any, ...]] = {}

    def run(self, length: int) -> list[int]:
        """``length`` free parcels side by side in one row, chosen at random."""
        for n in self.rng.permutation(len(self.block.cells)):
            r, i = self.block.cells[n]
            run = [self.index.get((r, i + k), -1) for k in range(length)]
            if -1 not in run and bool(self.free[run].all()):
                self.free[run] = False
                return run
        raise RuntimeError("no room left in the block for another defect")

    def detour(self, west: int, owner: int, push: float) -> Point:
        """Move part of the edge between ``west`` and its east neighbour by ``push`` metres
        (east > 0) in ``owner``'s ring only; the moved part's ends are vertices of both.
        Returns the middle of the rectangle that changed hands."""
        r, i = self.block.cells[west]
        c, v0, v1 = self.block.cuts[r][i + 1], self.block.levels[r], self.block.levels[r + 1]
        middle = (v0 + v1) / 2 + float(self.rng.uniform(-2.0, 2.0))
        half = float(self.rng.uniform(1.25, 3.0))
        low, high = round(middle - half, 2), round(middle + half, 2)
        self.block.up[(r, c)] |= {low, high}
        # the west parcel's east edge runs north in its ring, the east parcel's west edge south
        ends = ((c, low), (c, high)) if owner == west else ((c, high), (c, low))
        self.pushes.setdefault(owner, []).append((*ends, push))
        return c + push / 2, (low + high) / 2

    def depth(self, low: float, high: float) -> float:
        """A random size in [low, high] m, to the centimetre."""
        return round(float(self.rng.uniform(low, high)), 2)

    def overlap(self) -> list[Planted]:
        grown, neighbour = self.run(2)
        where = self.detour(grown, grown, self.depth(1.2, 3.0))
        return [Planted("overlap", [grown, neighbour], where)]

    def gap(self) -> list[Planted]:
        west, notched = self.run(2)
        where = self.detour(west, notched, self.depth(0.4, 1.2))
        return [Planted("gap", [west, notched], where)]

    def gap_beside_invalid(self, invalid_kind: str) -> list[Planted]:
        """Two holes on either side of one parcel that is invalid elsewhere."""
        west, broken, east = self.run(3)
        first = self.detour(west, west, -self.depth(0.4, 1.2))
        second = self.detour(broken, east, self.depth(0.4, 1.2))
        return [
            Planted("gap_beside_invalid", [west, broken], first),
            Planted("gap_beside_invalid", [broken, east], second),
            *self.invalid(invalid_kind, broken),
        ]

    def invalid(self, kind: str, cell: int | None = None) -> list[Planted]:
        """A bow-tie at the south-west corner, or a spike north out of the north edge."""
        cell = self.run(1)[0] if cell is None else cell
        u0, u1, v0, v1 = self.block.bounds(*self.block.cells[cell])
        r = self.block.cells[cell][0]
        if kind == "invalid_self_intersection":
            # vertices 1-2 m from the corner on both edges keep what the crossing edges
            # leave out within 2 m of it (a bow-tie's own slivers, not gaps)
            self.block.up[(r, u0)].add(round(v0 + 1.5, 2))
            if not any(u0 + 1.0 <= u <= u0 + 2.0 for u in self.block.across[r]):
                self.block.across[r].add(round(u0 + 1.5, 2))
            self.reshape[cell] = ("bow_tie", 0.25)
            return [Planted(kind, [cell], (u0, v0), 3.0)]
        line = self.block.across[r + 1]
        stops = sorted(u for u in line if u0 <= u <= u1)
        widest = int(np.argmax(np.diff(stops)))
        foot = round((stops[widest] + stops[widest + 1]) / 2, 2)
        line.add(foot)
        length = self.depth(3.0, 6.0)
        self.reshape[cell] = ("spike", (foot, v1), length)
        return [Planted(kind, [cell], (foot, v1 + length / 2), length / 2 + 2.0)]

    def parts_overlap(self) -> list[Planted]:
        """Two parts of one parcel, west and east, overlapping in a band across it."""
        for _ in range(50):
            cell = self.run(1)[0]
            r, _i = self.block.cells[cell]
            u0, u1, v0, v1 = self.block.bounds(*self.block.cells[cell])
            split = round(u0 + (u1 - u0) * float(self.rng.uniform(0.35, 0.5)), 2)
            band = self.depth(1.0, 2.0)
            taken = self.block.across[r] | self.block.across[r + 1]
            if split + band < u1 - 1.0 and all(
                abs(u - new) >= 0.5 for u in taken for new in (split, split + band)
            ):
                for line in (self.block.across[r], self.block.across[r + 1]):
                    line |= {split, round(split + band, 2)}
                self.reshape[cell] = ("parts", split, round(split + band, 2))
                details = {"overlap_m2": round(band * (v1 - v0), 2)}
                return [
                    Planted(
                        "parts_overlap", [cell], (split + band / 2, (v0 + v1) / 2), 1.0, details
                    )
                ]
            self.free[cell] = True
        raise RuntimeError("no parcel wide enough for overlapping parts")

    def same_sheet(self, size: int, sheet_of: np.ndarray) -> list[int]:
        """``size`` free parcels of one map sheet."""
        first = self.run(1)[0]
        others = np.flatnonzero(self.free & (sheet_of == sheet_of[first]))
        chosen = [first, *self.rng.permutation(others)[: size - 1].tolist()]
        self.free[chosen] = False
        return chosen


def plant_geometry(planter: Planter, counts: dict[str, int], beside: str) -> list[Planted]:
    planted: list[Planted] = []
    for _ in range(counts.get("gap_beside_invalid", 0)):
        planted += planter.gap_beside_invalid(beside)
    for _ in range(counts.get("parts_overlap", 0)):
        planted += planter.parts_overlap()
    for kind, plant in (("overlap", planter.overlap), ("gap", planter.gap)):
        for _ in range(counts.get(kind, 0)):
            planted += plant()
    for _ in range(counts.get("invalid_self_intersection", 0)):
        planted += planter.invalid("invalid_self_intersection")
    for _ in range(counts.get("duplicate_exact", 0)):
        cell = planter.run(1)[0]
        u0, u1, v0, v1 = planter.block.bounds(*planter.block.cells[cell])
        planted.append(Planted("duplicate_exact", [cell], ((u0 + u1) / 2, (v0 + v1) / 2)))
    return planted


def _push(ring: list[Point], p: Point, q: Point, shift: float) -> None:
    """Move the ring's segment p→q east by ``shift`` (a rectangle gained or lost)."""
    for j in range(len(ring)):
        if ring[j] == p and ring[(j + 1) % len(ring)] == q:
            ring[j + 1 : j + 1] = [(p[0] + shift, p[1]), (q[0] + shift, q[1])]
            return
    raise RuntimeError(f"segment {p} → {q} is not in the ring")


def _reshaped(ring: list[Point], how: tuple[Any, ...]) -> shapely.Geometry:
    if how[0] == "bow_tie":  # the south-west corner cut by two crossing edges
        corner, step = np.array(ring[0]), how[1]
        ahead = corner + step * _unit(np.array(ring[1]) - corner)
        behind = corner + step * _unit(np.array(ring[-1]) - corner)
        return shapely.Polygon([tuple(ahead), tuple(behind), *ring[1:]])
    if how[0] == "spike":  # out and back along the same line
        _, foot, length = how
        j = ring.index(foot)
        tip = (foot[0], foot[1] + length)
        return shapely.Polygon([*ring[: j + 1], tip, foot, *ring[j + 1 :]])
    _, west, east = how  # two parts overlapping between west and east
    return shapely.MultiPolygon(
        [shapely.Polygon([p for p in ring if p[0] <= east]),
         shapely.Polygon([p for p in ring if p[0] >= west])]
    )  # fmt: skip


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def shapes(block: Block, planter: Planter) -> tuple[np.ndarray, np.ndarray]:
    """Every parcel as written (local metres), and as it was before it was made invalid."""
    rings = [_ring(block, r, i) for r, i in block.cells]
    for cell, pushes in planter.pushes.items():
        for p, q, shift in pushes:
            _push(rings[cell], p, q, shift)
    sound = np.array([shapely.Polygon(ring) for ring in rings], dtype=object)
    written = sound.copy()
    for cell, how in planter.reshape.items():
        written[cell] = _reshaped(rings[cell], how)
    return written, sound
