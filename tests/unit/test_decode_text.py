"""Text files read line by line where they are not one encoding throughout (ingest.encodings)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.encodings import (
    decode_text,
    encode_cp1258,
    encode_tcvn3,
    encode_vni,
    tcvn3_round_trip,
)

ROWS = [
    "STT,Chủ sử dụng,Địa chỉ",
    "1,Trần Thị Ánh,Khu phố 1",
    "2,Lê Văn Tám,Ấp Bình Hòa",
    "3,Nguyễn Hữu Phước,Phường Tân Ninh",
    "4,Phạm Thị Hường,Xã Tân Biên",
    "5,Đặng Quốc Bảo,Khu phố 3",
]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\n".join(ROWS).encode("utf-8"), "UTF-8"),
        ("\n".join(ROWS).encode("utf-8-sig"), "UTF-8"),
        ("\r\n".join(ROWS).encode("utf-16"), "UTF-16"),
        ("\r\n".join(ROWS).encode("utf-16-le"), "UTF-16"),
        ("\r\n".join(ROWS).encode("utf-16-be"), "UTF-16"),
        (encode_tcvn3("\n".join(ROWS)), "TCVN3"),
        (encode_vni("\n".join(ROWS)), "VNI"),
    ],
)
def test_a_file_in_one_encoding_is_read_whole(data, encoding):
    decoded = decode_text(data)
    assert decoded.encoding == encoding and decoded.bad == []
    lines = decoded.text.removeprefix("\ufeff").splitlines()
    as_written = tcvn3_round_trip if encoding == "TCVN3" else str
    assert lines == [as_written(row) for row in ROWS]


WRITERS = {
    "NUL": lambda text: (text[:4] + "\x00" + text[4:]).encode(),
    "UTF-16": lambda text: text.encode("utf-16"),
    "UTF-16-LE with its line end": lambda text: (text + "\n").encode("utf-16-le"),
    "UTF-16-BE with its line end": lambda text: (text + "\n").encode("utf-16-be"),
    "TCVN3": encode_tcvn3,
    "VNI": encode_vni,
    "CP1258": encode_cp1258,
}


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=len(ROWS) - 1), st.sampled_from(sorted(WRITERS)))
def test_one_line_in_another_encoding_is_set_aside_and_the_rest_read(position, writer):
    data = b""
    for number, row in enumerate(ROWS):
        if number != position:
            data += row.encode() + b"\n"
        elif writer.endswith("line end"):
            data += WRITERS[writer](row)
        else:
            data += WRITERS[writer](row) + b"\n"
    decoded = decode_text(data)
    assert decoded.encoding == "UTF-8"
    [bad] = decoded.bad
    assert bad.number == position + 1
    assert "\x00" not in bad.raw["line"]
    expected = "NUL byte" if writer == "NUL" else "UTF-16" if "UTF-16" in writer else "not in"
    assert expected in bad.reason
    if "UTF-16" in writer:
        assert bad.raw["line"] == ROWS[position]
    lines = decoded.text.split("\n")
    assert lines[position] == ""
    assert [line for n, line in enumerate(lines[: len(ROWS)]) if n != position] == [
        row for n, row in enumerate(ROWS) if n != position
    ]


def test_a_utf8_line_in_a_legacy_file_is_set_aside():
    data = b"\n".join(row.encode() if n == 3 else encode_tcvn3(row) for n, row in enumerate(ROWS))
    decoded = decode_text(data)
    assert decoded.encoding == "TCVN3"
    assert [(b.number, b.value) for b in decoded.bad] == [(4, "UTF-8")]
    assert decoded.bad[0].raw["line"] == ROWS[3]
    assert decoded.text.split("\n")[1] == tcvn3_round_trip(ROWS[1])  # toned capitals: lossy
