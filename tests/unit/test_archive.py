"""The zip unpacker trusts nothing a zip declares: sizes, counts, ratios, names, kinds."""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from pathlib import Path

import pytest

from ingest.archive import (
    CHUNK,
    ArchiveLimits,
    Budget,
    check_directory_size,
    copy_member,
    plan_members,
    unpack_zip,
)
from landreg.errors import ValidationError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
SHAPEFILE = SAMPLE / "maps" / "tay_ninh_cu" / "25630_xa_tan_bien"
LIMITS = ArchiveLimits(max_bytes=8 << 20, max_members=50, max_ratio=100)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _refused(archive: Path, into: Path, limits: ArchiveLimits = LIMITS) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        unpack_zip(archive, into, limits)
    assert refused.value.field == "file"
    assert not into.exists(), "a refused zip leaves nothing unpacked"
    return refused.value


def _lie_about_size(data: bytes, declared: int, crc: int | None = None) -> bytes:
    """The zip with its one member's uncompressed size (and CRC) rewritten in both headers."""
    patched = bytearray(data)
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    patched[local + 22 : local + 26] = declared.to_bytes(4, "little")
    patched[central + 24 : central + 28] = declared.to_bytes(4, "little")
    if crc is not None:
        patched[local + 14 : local + 18] = crc.to_bytes(4, "little")
        patched[central + 16 : central + 20] = crc.to_bytes(4, "little")
    return bytes(patched)


def test_a_zip_of_shapefile_parts_unpacks_whole(tmp_path):
    parts = {f"tan_bien/{p.name}": p.read_bytes() for p in sorted(SHAPEFILE.iterdir())}
    archive = _zip(tmp_path / "tan_bien.zip", parts)
    unpacked = unpack_zip(archive, tmp_path / "out", LIMITS)
    assert sorted(unpacked.files) == sorted(parts)
    assert unpacked.size == sum(len(data) for data in parts.values())
    for name, data in parts.items():
        assert (tmp_path / "out" / name).read_bytes() == data
    assert unpacked.skipped == []


def test_a_bomb_is_refused_from_its_directory_before_a_byte_is_written(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", {"layer.gpkg": bytes(64 << 20)})
    assert archive.stat().st_size < 100_000
    error = _refused(archive, tmp_path / "out")
    assert "more than 8 MB" in error.detail


def test_a_member_packed_tighter_than_the_ratio_allows_is_refused(tmp_path):
    archive = _zip(tmp_path / "dense.zip", {"zeros.csv": bytes(4 << 20)})  # ~1000 times
    error = _refused(archive, tmp_path / "out")
    assert "zeros.csv unpacks to" in error.detail and "100 times" in error.detail
    small = _zip(tmp_path / "small.zip", {"empty.csv": bytes(100_000)})  # below 1 MB: fine
    assert unpack_zip(small, tmp_path / "fine", LIMITS).size == 100_000


def test_a_directory_lying_about_a_size_never_gets_more_written(tmp_path):
    honest = _zip(tmp_path / "honest.zip", {"layer.gpkg": bytes(64 << 20)}).read_bytes()
    lying = tmp_path / "lying.zip"
    lying.write_bytes(_lie_about_size(honest, 1000))
    error = _refused(lying, tmp_path / "out")
    assert "layer.gpkg is damaged" in error.detail
    # with the CRC forged too, zipfile stops at the declared size: 1000 bytes, not 64 MB
    lying.write_bytes(_lie_about_size(honest, 1000, zlib.crc32(bytes(1000))))
    unpacked = unpack_zip(lying, tmp_path / "forged", LIMITS)
    assert unpacked.size == 1000 == (tmp_path / "forged" / "layer.gpkg").stat().st_size


def test_streaming_stops_at_the_bytes_really_written():
    member = zipfile.ZipInfo("layer.gpkg")
    member.file_size, member.compress_size = 100 << 20, 100 << 20  # declares what it sends
    out = io.BytesIO()
    with pytest.raises(ValidationError, match="more than 8 MB"):
        copy_member(io.BytesIO(bytes(20 << 20)), out, member, Budget(LIMITS))
    assert out.tell() <= LIMITS.max_bytes
    member.file_size = 1000  # a directory that lies: the stream sends more
    out = io.BytesIO()
    with pytest.raises(ValidationError, match="more than the 1000 bytes"):
        copy_member(io.BytesIO(bytes(3 * CHUNK)), out, member, Budget(LIMITS))
    assert out.tell() == 0


def test_streaming_counts_the_total_over_members():
    budget = Budget(LIMITS)
    first, second = zipfile.ZipInfo("a.csv"), zipfile.ZipInfo("b.csv")
    for member in (first, second):
        member.file_size = member.compress_size = 5 << 20
    copy_member(io.BytesIO(bytes(5 << 20)), io.BytesIO(), first, budget)
    with pytest.raises(ValidationError, match="more than 8 MB"):
        copy_member(io.BytesIO(bytes(5 << 20)), io.BytesIO(), second, budget)


def test_too_many_entries_are_refused_before_the_directory_is_read(tmp_path):
    archive = _zip(tmp_path / "many.zip", {f"f{i}.csv": b"a,b\n" for i in range(60)})
    error = _refused(archive, tmp_path / "out")
    assert "more than 50 entries" in error.detail
    # an end record declaring a huge directory is refused without parsing it
    data = bytearray(_zip(tmp_path / "one.zip", {"a.csv": b"a,b\n"}).read_bytes())
    end = data.rindex(b"PK\x05\x06")
    data[end + 12 : end + 16] = (200 << 20).to_bytes(4, "little")
    (tmp_path / "huge.zip").write_bytes(bytes(data))
    with pytest.raises(ValidationError, match="more than 50 entries"):
        check_directory_size(tmp_path / "huge.zip", LIMITS)


def test_a_zip64_end_record_declaring_millions_of_entries_is_refused_unread(tmp_path):
    data = _zip(tmp_path / "one.zip", {"a.csv": b"a,b\n"}).read_bytes()
    end = data.rindex(b"PK\x05\x06")
    record = (
        b"PK\x06\x06"
        + (44).to_bytes(8, "little")
        + bytes(12)
        + (10_000_000).to_bytes(8, "little") * 2  # entries on this disk, in all
        + (600 << 20).to_bytes(8, "little")  # the directory's size
        + (0).to_bytes(8, "little")
    )
    locator = b"PK\x06\x07" + bytes(4) + end.to_bytes(8, "little") + (1).to_bytes(4, "little")
    (tmp_path / "zip64.zip").write_bytes(data[:end] + record + locator + data[end:])
    with pytest.raises(ValidationError, match="more than 50 entries"):
        check_directory_size(tmp_path / "zip64.zip", LIMITS)


def test_the_directory_is_checked_for_its_entries_too():
    members = [zipfile.ZipInfo(f"{n}.csv") for n in range(51)]
    with pytest.raises(ValidationError, match="51 entries, more than the limit of 50"):
        plan_members(members, 10_000, LIMITS)


@pytest.mark.parametrize(
    "name", ["../escape.csv", "a/../../escape.csv", "/etc/cron.d/x", "C:/x.csv", "..\\x.csv"]
)
def test_a_path_outside_the_folder_is_refused(tmp_path, name):
    archive = _zip(tmp_path / "evil.zip", {"ok.csv": b"a\n", name: b"a\n"})
    error = _refused(archive, tmp_path / "out")
    assert error.value == name and "outside" in error.detail
    assert not (tmp_path / "escape.csv").exists()


def test_a_symbolic_link_is_refused(tmp_path):
    link = zipfile.ZipInfo("maps/layer.gpkg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as archive:
        archive.writestr(link, "/etc/passwd")
    error = _refused(tmp_path / "link.zip", tmp_path / "out")
    assert "symbolic link" in error.detail


def test_a_name_twice_or_a_file_that_is_also_a_folder_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as archive, pytest.warns(UserWarning):
        archive.writestr("a.csv", "first")
        archive.writestr("a.csv", "second")
    assert "twice" in _refused(tmp_path / "twice.zip", tmp_path / "out").detail
    clash = _zip(tmp_path / "clash.zip", {"maps": b"x", "maps/a.csv": b"a\n"})
    assert "file and as a folder" in _refused(clash, tmp_path / "out").detail


def test_an_encrypted_member_is_refused(tmp_path):
    locked = zipfile.ZipInfo("a.csv")
    locked.flag_bits |= 0x1
    with pytest.raises(ValidationError) as error:
        plan_members([locked], 1000, LIMITS)
    assert "encrypted" in error.value.detail


def test_entries_sharing_their_data_are_refused():
    members = []
    for number in range(3):
        member = zipfile.ZipInfo(f"{number}.csv")
        member.file_size, member.compress_size = 1000, 600
        members.append(member)
    with pytest.raises(ValidationError, match="overlap"):
        plan_members(members, 1000, LIMITS)


def test_archives_inside_are_left_packed_and_macos_metadata_left_out(tmp_path):
    inner = _zip(tmp_path / "inner.zip", {"a.csv": b"a\n"}).read_bytes()
    archive = _zip(
        tmp_path / "outer.zip",
        {
            "./": b"",
            "maps/inner.zip": inner,
            "__MACOSX/maps/._a.csv": b"x",
            "maps/a.csv": b"a,b\n",
        },
    )
    unpacked = unpack_zip(archive, tmp_path / "out", LIMITS)
    assert unpacked.files == ["maps/a.csv"] and unpacked.skipped == ["maps/inner.zip"]
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["a.csv", "maps"]


def test_an_unreadable_zip_is_refused(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip" * 10)
    assert "cannot be read" in _refused(tmp_path / "broken.zip", tmp_path / "out").detail
