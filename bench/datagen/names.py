"""Vietnamese names for people and places, drawn with a seeded random generator.

Personal names reuse the weighted family, middle and given names of the demo dataset
(``personnel.demo``); place names are built from the syllables Southern place names are made of,
so a large province gets hundreds of distinct, plausible communes ("Xã Tân Phú Đông").
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from itertools import accumulate

from personnel.demo import (
    FAMILY_HOA,
    FAMILY_KHMER,
    FAMILY_KINH,
    GIVEN_F,
    GIVEN_KHMER_F,
    GIVEN_KHMER_M,
    GIVEN_M,
    MIDDLE_F,
    MIDDLE_M,
    SECOND_MIDDLE_F,
)

PROVINCE = "Tỉnh Vĩnh Long"
PROVINCE_SHORT = "Vĩnh Long"

DISTRICT_NAMES = (
    "Châu Thành",
    "Mỏ Cày Nam",
    "Mỏ Cày Bắc",
    "Giồng Trôm",
    "Ba Tri",
    "Bình Đại",
    "Thạnh Phú",
    "Chợ Lách",
    "Cai Lậy",
    "Cái Bè",
    "Gò Công Tây",
    "Gò Công Đông",
    "Tân Phước",
    "Tân Phú Đông",
    "Chợ Gạo",
    "Tam Bình",
    "Trà Ôn",
    "Vũng Liêm",
    "Long Hồ",
    "Mang Thít",
    "Bình Minh",
    "Bình Tân",
    "Lai Vung",
    "Lấp Vò",
    "Tháp Mười",
    "Tam Nông",
    "Thanh Bình",
    "Hồng Ngự",
    "Tân Hồng",
    "Cao Lãnh",
)

PROVINCE_DEPARTMENTS = (
    ("Ban Tổ chức Tỉnh ủy", "party_agency"),
    ("Ủy ban Kiểm tra Tỉnh ủy", "party_agency"),
    ("Ban Tuyên giáo và Dân vận Tỉnh ủy", "party_agency"),
    ("Văn phòng Tỉnh ủy", "party_agency"),
    ("Sở Nội vụ", "state_agency"),
    ("Sở Tài chính", "state_agency"),
    ("Sở Giáo dục và Đào tạo", "state_agency"),
    ("Sở Y tế", "state_agency"),
    ("Sở Xây dựng", "state_agency"),
    ("Sở Nông nghiệp và Môi trường", "state_agency"),
    ("Sở Công Thương", "state_agency"),
    ("Sở Khoa học và Công nghệ", "state_agency"),
    ("Sở Văn hóa, Thể thao và Du lịch", "state_agency"),
    ("Sở Tư pháp", "state_agency"),
    ("Thanh tra tỉnh", "state_agency"),
    ("Văn phòng UBND tỉnh", "state_agency"),
    ("Ủy ban MTTQ Việt Nam tỉnh", "mass_org"),
    ("Tỉnh Đoàn", "mass_org"),
    ("Hội Liên hiệp Phụ nữ tỉnh", "mass_org"),
    ("Hội Nông dân tỉnh", "mass_org"),
)

#: a district's own boards and offices: (name pattern, unit kind)
DISTRICT_DEPARTMENTS = (
    ("Ban Tổ chức {uy} {short}", "party_agency"),
    ("Ủy ban Kiểm tra {uy} {short}", "party_agency"),
    ("Phòng Nội vụ {kw} {short}", "state_agency"),
    ("Phòng Giáo dục và Đào tạo {kw} {short}", "state_agency"),
    ("Ủy ban MTTQ Việt Nam {kw} {short}", "mass_org"),
)

_SYLLABLES = (
    "Tân",
    "Mỹ",
    "An",
    "Phú",
    "Long",
    "Bình",
    "Hòa",
    "Thạnh",
    "Phước",
    "Hưng",
    "Lợi",
    "Thuận",
    "Vĩnh",
    "Khánh",
    "Thới",
    "Hiệp",
    "Định",
    "Lộc",
    "Nhơn",
    "Quới",
)
_DIRECTIONS = ("", "", "", " Đông", " Tây", " Nam", " Bắc", " Trung")

HOME_PROVINCES = (
    "tỉnh Bến Tre",
    "tỉnh Tiền Giang",
    "tỉnh Vĩnh Long",
    "tỉnh Đồng Tháp",
    "tỉnh An Giang",
    "tỉnh Long An",
    "thành phố Cần Thơ",
    "tỉnh Trà Vinh",
)


def commune_names(rng: random.Random) -> itertools.cycle:
    """Distinct commune names in a shuffled order (numbered once the combinations run out)."""
    names = [
        f"{a} {b}{d}"
        for a in _SYLLABLES
        for b in _SYLLABLES
        if a != b
        for d in _DIRECTIONS[3:] + ("",)
    ]
    rng.shuffle(names)

    def generate():
        for n in itertools.count():
            for name in names:
                yield name if n == 0 else f"{name} {n + 1}"

    return generate()


class _Weighted:
    def __init__(self, pairs):
        self.values = [v for v, _ in pairs]
        self.cumulative = list(accumulate(w for _, w in pairs))

    def pick(self, rng: random.Random):
        return self.values[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


_FAMILY = {"Kinh": _Weighted(FAMILY_KINH), "Hoa": _Weighted(FAMILY_HOA)}
_KHMER = _Weighted(FAMILY_KHMER)
_MIDDLE_M, _MIDDLE_F = _Weighted(MIDDLE_M), _Weighted(MIDDLE_F)
ETHNICITY = _Weighted((("Kinh", 93), ("Khmer", 4), ("Hoa", 3)))


def person_name(rng: random.Random, gender: str, ethnicity: str) -> tuple[str, str]:
    """(family and middle names, given name) — ``User.last_name`` and ``first_name``."""
    while True:
        if ethnicity == "Khmer":
            family = _KHMER.pick(rng)
            middle = "Thị" if gender == "F" else rng.choice(("", "", "Văn"))
            given = rng.choice(GIVEN_KHMER_F if gender == "F" else GIVEN_KHMER_M)
        else:
            family = _FAMILY.get(ethnicity, _FAMILY["Kinh"]).pick(rng)
            if gender == "F":
                middle = _MIDDLE_F.pick(rng)
                if middle == "Thị" and rng.random() < 0.3:
                    middle += " " + rng.choice(SECOND_MIDDLE_F)
                given = rng.choice(GIVEN_F)
            else:
                middle = _MIDDLE_M.pick(rng)
                given = rng.choice(GIVEN_M)
        if given not in middle.split():
            return f"{family} {middle}".strip(), given


def home_town(rng: random.Random, commune: str | None, district: str | None) -> str:
    if commune and district and rng.random() < 0.6:
        commune = commune[:1].lower() + commune[1:]
        district = district[:1].lower() + district[1:]
        return f"{commune}, {district}, tỉnh {PROVINCE_SHORT}"
    a, b = rng.sample(_SYLLABLES, 2)
    return f"xã {a} {b}, huyện {rng.choice(DISTRICT_NAMES)}, {rng.choice(HOME_PROVINCES)}"
