"""Place names, land-use shares and other vocabularies of the sample data."""

from __future__ import annotations

HAMLETS = (
    "Thạnh Hòa", "Thạnh Lợi", "Tân Định", "Tân Hiệp", "Bình Phú", "Bình Hòa", "Long Thành",
    "Long Hải", "Phước Hội", "Phước Lợi", "Hòa Bình", "Hòa Hợp", "Trường Lưu", "Trường Đức",
    "Suối Ngô", "Cây Xoài", "Bàu Sen", "Rạch Sơn", "Ninh Phúc", "Ninh Trung", "Chánh Hội",
    "Lộc Thuận", "An Thới", "Gò Đen", "Mỹ Yên", "Voi Lá", "Bến Kéo", "Xóm Bố", "Cầu Xây",
)  # fmt: skip
STREETS = (
    "30 Tháng 4", "Cách Mạng Tháng Tám", "Hùng Vương", "Nguyễn Trãi", "Trần Hưng Đạo",
    "Lê Lợi", "Nguyễn Huệ", "Điện Biên Phủ", "Võ Thị Sáu", "Trưng Nữ Vương", "Hoàng Lê Kha",
    "Nguyễn Văn Rốp", "Bời Lời", "Lạc Long Quân", "Nguyễn Thông", "Huỳnh Văn Nhứt",
    "Châu Văn Giác", "Phan Văn Lại", "Trương Định", "Thủ Khoa Huân", "Quốc lộ 22B",
    "Quốc lộ 1", "Tỉnh lộ 827A", "Nguyễn Cửu Vân", "Bạch Đằng",
)  # fmt: skip
BANKS = (
    "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam - Chi nhánh Tây Ninh",
    "Ngân hàng TMCP Công Thương Việt Nam - Chi nhánh Tây Ninh",
    "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam - Chi nhánh Long An",
    "Ngân hàng TMCP Ngoại thương Việt Nam - Chi nhánh Long An",
    "Ngân hàng TMCP Sài Gòn Thương Tín - Chi nhánh Tây Ninh",
    "Ngân hàng Chính sách xã hội - Chi nhánh Long An",
    "Quỹ tín dụng nhân dân Hòa Thành",
)
ORGANISATION_FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
ORGANISATION_WORDS = (
    "Thành Công", "Phú Cường", "Minh Phát", "Tân Phước", "Long Hưng", "Đại Lộc", "Hòa Thịnh",
    "Phước Thành", "Việt Thắng", "An Khang", "Bình An", "Kim Ngân", "Thái Bình Dương",
)  # fmt: skip
AUTHORITIES = ("Ủy ban nhân dân", "Trường Tiểu học", "Trường THCS", "Trạm Y tế", "Chùa", "Nhà thờ")

# Land-use shares (percent) of parcels, Circular 08/2024 codes.
RURAL_USE = (
    ("LUC", 22), ("LUK", 14), ("HNK", 16), ("CLN", 23), ("ONT", 14), ("NTS", 3), ("RSX", 2),
    ("NTD", 1), ("TSC", 0.5), ("DGD", 0.5), ("SKC", 1.5), ("TMD", 1.5), ("TIN", 0.5),
    ("BCS", 0.5),
)  # fmt: skip
URBAN_USE = (
    ("ODT", 74), ("TMD", 8), ("DGD", 2), ("DYT", 1), ("TSC", 2), ("CLN", 4), ("HNK", 3),
    ("DVH", 1), ("TON", 1), ("SKC", 2), ("DTT", 1), ("DSH", 1),
)  # fmt: skip
ORGANISATION_USES = frozenset({"TSC", "DGD", "DYT", "DVH", "DTT", "DSH", "SKC", "TMD", "NTD"})
COMMUNITY_USES = frozenset({"TON", "TIN"})
AGRICULTURAL = frozenset({"LUC", "LUK", "HNK", "CLN", "NTS", "RSX", "BCS"})

# Folk terms written in the land-use column instead of a code.
FOLK_TERMS = {"ONT": "thổ cư", "ODT": "thổ cư", "CLN": "vườn", "LUK": "ruộng", "HNK": "rẫy"}
# Current code → legacy code used on old maps and certificates for it.
LEGACY_FOR = {"HNK": ("BHK", "NHK"), "CLN": ("LNQ", "LNK", "LNC"), "NTS": ("TSN",), "LUK": ("LUN",)}
# Codes that look like land-use codes but are neither current nor legacy.
UNKNOWN_CODES = ("LUX", "0DT", "ONT+", "HNX", "CLQ", "TMX", "DTG", "LNN", "ODX", "NKX")

# Planning classes of the planning raster (value → code).
PLANNING_CLASSES = {
    1: "LUC", 2: "LUK", 3: "HNK", 4: "CLN", 5: "ONT", 6: "ODT", 7: "NTS", 8: "RSX",
    9: "TMD", 10: "SKC", 11: "DGD", 12: "TSC", 13: "NTD", 14: "DGT", 15: "DTL", 16: "TIN",
    17: "BCS", 18: "DYT", 19: "DVH", 20: "DTT", 21: "TON", 22: "DSH",
}  # fmt: skip
