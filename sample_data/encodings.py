"""The legacy Vietnamese encodings (TCVN3, VNI) live in ``ingest.encodings``; re-exported here."""

from ingest.encodings import (
    DECODERS,
    ENCODERS,
    decode_tcvn3,
    decode_vni,
    encode_tcvn3,
    encode_vni,
    tcvn3_round_trip,
)

__all__ = [
    "DECODERS",
    "ENCODERS",
    "decode_tcvn3",
    "decode_vni",
    "encode_tcvn3",
    "encode_vni",
    "tcvn3_round_trip",
]
