"""The clean parcel coverage of one commune: map sheets, road and canal strips, parcels.

The surveyed area of a commune is a square of map sheets. Straight roads and canals cross it
as strips; the land between them ("blocks") is cut into parcels by a Voronoi diagram of a
jittered grid of seeds, one diagram per block, clipped to the block. The result is a true
planar coverage: parcels do not overlap, and the only holes are the road and canal strips.
Everything is vectorised over blocks and parcels with shapely 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import shapely


@dataclass(frozen=True)
class SizeModel:
    """Parcel sizes of a commune: lognormal per block, in m²."""

    median: float
    sigma: float
    low: float
    high: float
    road_spacing: tuple[float, float, float, float]  # E-W low/high, N-S low/high (m)
    road_width: tuple[float, float]
    canals: tuple[int, int]

    def scaled(self, factor: float) -> SizeModel:
        """The same model with every area multiplied by ``factor`` (lengths by its root)."""
        root = float(np.sqrt(factor))
        return SizeModel(
            self.median * factor, self.sigma, self.low * factor, self.high * factor,
            tuple(v * root for v in self.road_spacing), self.road_width, self.canals,
        )  # fmt: skip

    @property
    def land_per_parcel(self) -> float:
        """Land area per parcel: blocks get area / size seeds, so the harmonic mean counts."""
        return float(self.median * np.exp(-(self.sigma**2) / 2))


URBAN = SizeModel(125.0, 0.30, 60.0, 260.0, (60, 110, 140, 260), (5.0, 14.0), (0, 1))
RURAL = SizeModel(2600.0, 0.65, 700.0, 14000.0, (260, 520, 450, 900), (4.0, 8.0), (1, 3))


@dataclass(frozen=True)
class Coverage:
    """Geometry of a commune's surveyed area in its cadastral CRS."""

    square: shapely.Polygon
    sheets: np.ndarray  # sheet frames, numbered 1.. in array order
    sheet_grid: tuple[float, float, float, int]  # x0, y1 (top), sheet side, k
    strips: np.ndarray
    strip_kind: np.ndarray
    strip_width: np.ndarray
    blocks: np.ndarray
    block_size: np.ndarray
    parcels: np.ndarray
    parcel_block: np.ndarray
    angle: float


def survey_square(commune: shapely.Geometry, area: float, inset: float = 60.0):
    """The largest axis-aligned square of ``area`` (or smaller) centred in the commune.

    Returns the square and the factor (<= 1) by which parcel sizes must shrink to fit.
    """
    circle = shapely.maximum_inscribed_circle(commune, 5.0)
    centre = shapely.get_point(circle, 0)
    radius = shapely.length(circle) - inset
    side_max = radius * np.sqrt(2.0) * 0.98
    side = min(np.sqrt(area), side_max)
    cx, cy = np.round([shapely.get_x(centre), shapely.get_y(centre)], -1)
    half = np.round(side / 2.0)
    square = shapely.box(cx - half, cy - half, cx + half, cy + half)
    return square, min(1.0, (2 * half) ** 2 / area)


def sheet_frames(square: shapely.Polygon, k: int):
    """A k × k grid of map sheets over the square, numbered row by row from the north-west."""
    x0, _, x1, y1 = square.bounds
    side = (x1 - x0) / k
    row, col = np.divmod(np.arange(k * k), k)
    frames = shapely.box(
        x0 + col * side, y1 - (row + 1) * side, x0 + (col + 1) * side, y1 - row * side
    )
    return frames, (x0, y1, side, k)


def _line_family(rng, square, angle, spacing, width):
    """Parallel lines at ``angle`` across the square, ``spacing`` apart (jittered)."""
    cx, cy = shapely.get_coordinates(shapely.centroid(square))[0]
    side = square.bounds[2] - square.bounds[0]
    steps = rng.uniform(*spacing, size=int(side / spacing[0]) + 2)
    offsets = np.cumsum(steps) - side / 2 - rng.uniform(0, spacing[0])
    offsets = offsets[np.abs(offsets) < side / 2 - spacing[0] / 3]
    normal = np.array([-np.sin(angle), np.cos(angle)])
    along = np.array([np.cos(angle), np.sin(angle)]) * side
    starts = np.array([cx, cy]) + offsets[:, None] * normal - along
    ends = starts + 2 * along
    lines = shapely.linestrings(np.stack([starts, ends], axis=1))
    widths = rng.uniform(*width, size=len(lines)).round(1)
    return lines, widths


def _canal_lines(rng, square, angles: np.ndarray):
    """Straight canals at ``angles`` passing near the centre of the square."""
    cx, cy = shapely.get_coordinates(shapely.centroid(square))[0]
    side = square.bounds[2] - square.bounds[0]
    shift = rng.uniform(-0.3, 0.3, size=len(angles)) * side
    normal = np.column_stack([-np.sin(angles), np.cos(angles)])
    along = np.column_stack([np.cos(angles), np.sin(angles)]) * side
    starts = np.array([cx, cy]) + shift[:, None] * normal - along
    lines = shapely.linestrings(np.stack([starts, starts + 2 * along], axis=1))
    return lines, rng.uniform(8.0, 20.0, size=len(angles)).round(1)


def road_and_canal_strips(rng, square, model: SizeModel):
    """Road and canal strips crossing the square, with their kind and width (m)."""
    angle = float(np.deg2rad(rng.uniform(-6, 6)))
    ew, ew_w = _line_family(rng, square, angle, model.road_spacing[:2], model.road_width)
    ns_angle = angle + np.pi / 2 + np.deg2rad(rng.uniform(-8, 8))
    ns, ns_w = _line_family(rng, square, ns_angle, model.road_spacing[2:], model.road_width)
    n_canals = int(rng.integers(model.canals[0], model.canals[1] + 1))
    canals, canal_w = _canal_lines(rng, square, angle + np.deg2rad(rng.uniform(25, 65, n_canals)))
    lines = np.concatenate([ew, ns, canals])
    widths = np.concatenate([ew_w, ns_w, canal_w])
    kind = np.array(["road"] * (len(ew) + len(ns)) + ["canal"] * n_canals, dtype=object)
    strips = shapely.intersection(shapely.buffer(lines, widths / 2, cap_style="flat"), square)
    keep = ~shapely.is_empty(strips) & (shapely.area(strips) > 0)
    return strips[keep], kind[keep], widths[keep], angle


def blocks_between(square, strips, min_area: float):
    """The blocks of land between the strips; tiny leftovers are returned separately."""
    land = shapely.difference(square, shapely.union_all(strips)) if len(strips) else square
    blocks = shapely.get_parts(land)
    area = shapely.area(blocks)
    return blocks[area >= min_area], blocks[area < min_area]


def block_sizes(rng, count: int, model: SizeModel) -> np.ndarray:
    """Target parcel area for each block (lognormal, clipped)."""
    sizes = model.median * np.exp(rng.normal(0.0, model.sigma, size=count))
    return np.clip(sizes, model.low, model.high)


def _rotate(x: np.ndarray, y: np.ndarray, angle: float, origin: np.ndarray):
    cos, sin = np.cos(angle), np.sin(angle)
    dx, dy = x - origin[0], y - origin[1]
    return origin[0] + dx * cos - dy * sin, origin[1] + dx * sin + dy * cos


def block_seeds(rng, blocks: np.ndarray, sizes: np.ndarray, angle: float, origin: np.ndarray):
    """Seed points on a jittered grid in each block, rotated along the roads.

    Parcels are about 1.2-2.5 times deeper than wide. Seeds too close to the block edge are
    dropped (no needle parcels); a block left without seeds gets its representative point.
    Returns the points and the block index of each, sorted by block.
    """
    ratio = rng.uniform(1.2, 2.5, size=len(blocks))
    dx, dy = np.sqrt(sizes / ratio), np.sqrt(sizes * ratio)
    flat = shapely.transform(
        blocks, lambda c: np.column_stack(_rotate(c[:, 0], c[:, 1], -angle, origin))
    )
    x0, y0, x1, y1 = shapely.bounds(flat).T
    nx = np.ceil((x1 - x0) / dx).astype(np.int64) + 1
    ny = np.ceil((y1 - y0) / dy).astype(np.int64) + 1
    counts = nx * ny
    block = np.repeat(np.arange(len(blocks)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    jitter = rng.uniform(-0.28, 0.28, size=(len(block), 2))
    gx = x0[block] + (local % nx[block] + 0.5 + jitter[:, 0]) * dx[block]
    gy = y0[block] + (local // nx[block] + 0.5 + jitter[:, 1]) * dy[block]
    x, y = _rotate(gx, gy, angle, origin)
    shapely.prepare(blocks)
    inside = shapely.contains_xy(blocks[block], x, y)
    points, block = shapely.points(x[inside], y[inside]), block[inside]
    edge = shapely.distance(shapely.boundary(blocks)[block], points)
    keep = edge >= 0.3 * np.minimum(dx, dy)[block]
    points, block = points[keep], block[keep]
    empty = np.setdiff1d(np.arange(len(blocks)), block)
    points = np.concatenate([points, shapely.point_on_surface(blocks[empty])])
    block = np.concatenate([block, empty])
    order = np.argsort(block, kind="stable")
    return points[order], block[order]


def voronoi_parcels(blocks: np.ndarray, points: np.ndarray, block: np.ndarray):
    """Cut each block into the Voronoi cells of its seeds; returns parcels and their block."""
    seeds = shapely.multipoints(shapely.get_coordinates(points), indices=block)
    diagrams = shapely.voronoi_polygons(seeds, extend_to=blocks)
    cells, owner = shapely.get_parts(diagrams, return_index=True)
    single = np.setdiff1d(np.arange(len(blocks)), owner)  # one seed: the block is the parcel
    cells = np.concatenate([cells, blocks[single]])
    owner = np.concatenate([owner, single])
    pieces = shapely.intersection(cells, blocks[owner])
    parcels, part_of = shapely.get_parts(pieces, return_index=True)
    owner = owner[part_of]
    keep = (shapely.get_type_id(parcels) == 3) & (shapely.area(parcels) > 0)
    parcels, owner = shapely.normalize(parcels[keep]), owner[keep]
    order = np.lexsort((shapely.get_y(shapely.centroid(parcels)), owner))
    return parcels[order], owner[order]


def build_coverage(rng, commune: shapely.Geometry, count: int, model: SizeModel, per_sheet: int):
    """The clean coverage of a commune with about ``count`` parcels.

    Parameters
    ----------
    rng : numpy.random.Generator
        The commune's random stream.
    commune : shapely.Geometry
        Commune boundary in the commune's cadastral CRS.
    count : int
        Target number of parcels.
    model : SizeModel
        Parcel size model (urban or rural).
    per_sheet : int
        Target number of parcels per map sheet.

    Returns
    -------
    Coverage
    """
    land_share = 0.85 if model is URBAN else 0.93
    # Seeds near block edges are dropped: about 11 % more land gives about ``count`` parcels.
    square, factor = survey_square(commune, 1.12 * count * model.land_per_parcel / land_share)
    model = model.scaled(factor) if factor < 1 else model
    k = max(1, round(np.sqrt(count / per_sheet)))
    sheets, grid = sheet_frames(square, k)
    strips, kind, width, angle = road_and_canal_strips(rng, square, model)
    blocks, leftovers = blocks_between(square, strips, 0.35 * model.median)
    strips = np.concatenate([strips, leftovers])
    kind = np.concatenate([kind, np.full(len(leftovers), "verge", dtype=object)])
    width = np.concatenate([width, np.zeros(len(leftovers))])
    sizes = block_sizes(rng, len(blocks), model)
    origin = shapely.get_coordinates(shapely.centroid(square))[0]
    points, block = block_seeds(rng, blocks, sizes, angle, origin)
    parcels, owner = voronoi_parcels(blocks, points, block)
    return Coverage(square, sheets, grid, strips, kind, width, blocks, sizes, parcels, owner, angle)
