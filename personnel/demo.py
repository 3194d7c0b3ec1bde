"""The demo dataset: one province (Tỉnh Đồng Tháp), its districts, committees, cadres, records.

Used by ``manage.py seed_demo`` (dev/demo only; the command refuses to run unless
``settings.CADREFLOW_DEMO_MODE`` is True, so demo users never exist in production).

* Deterministic: every random choice comes from ``random.Random(SEED)``; calendar dates are fixed
  (the data describes the 2025–2030 term as seen in late 2026), nothing depends on today.
* Idempotent: when the root unit ``ROOT_CODE`` exists nothing is rebuilt; only the demo users,
  their password, their cadre links and their committee seats are checked and repaired.
* Fast: bulk inserts for positions, cadres, holdings, memberships and records; services where
  they add behaviour (the tree for org units, committees, and ``scope_sync_for_user`` for the
  guardian grants of every member). Bulk-inserted rows have no audit events: the audit trail
  starts with the units, committees and scope grants the seed made through the services.

The demo logins are listed by :func:`demo_logins`; every one uses :data:`DEMO_PASSWORD`.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from . import services
from .models import (
    Cadre,
    Committee,
    CommitteeKind,
    CommitteeMembership,
    DisciplineKind,
    DisciplineRecord,
    EducationLevel,
    EvaluationLevel,
    EvaluationPeriod,
    EvaluationResult,
    Gender,
    InvestigationCase,
    InvestigationKind,
    ManagementLevel,
    MembershipRole,
    OrgUnit,
    PlanningEntry,
    PlanningStatus,
    PoliticalStandardConclusion,
    PoliticalStandardOutcome,
    PoliticalTheoryLevel,
    Position,
    PositionHolding,
    PositionLevel,
    StateManagementLevel,
    TrainingKind,
    TrainingRecord,
    UnitKind,
)
from .retirement import retirement_date
from .selectors import active_on

#: The password of every demo login. Demo mode only — never set on a production database.
DEMO_PASSWORD = "cadreflow-demo"

ROOT_CODE = "demo-province"
SEED = 2026
TARGET_CADRES = 336
TERM_START = dt.date(2025, 10, 1)
TERM_END = dt.date(2030, 9, 30)
_ADVISORY_LOCK = 0x5EED_DE30  # serialises two seed_demo runs on the same database

M, F = Gender.MALE, Gender.FEMALE
CHAIR, DEPUTY, MEMBER = MembershipRole.CHAIR, MembershipRole.DEPUTY, MembershipRole.MEMBER
PL = PositionLevel
TH = PoliticalTheoryLevel
SM = StateManagementLevel
ED = EducationLevel


# --------------------------------------------------------------------------- demo logins


@dataclass(frozen=True)
class DemoUser:
    """One demo login and, except for the administrator, the cadre record it is linked to."""

    username: str
    role_vi: str
    role_en: str
    family: str = ""  # family + middle names -> User.last_name
    given: str = ""  # given name -> User.first_name
    gender: str = M
    unit_code: str = ""  # working unit of the linked cadre
    position: str = ""  # title of the post the cadre holds in that unit ("" = staff, no post)
    committee: str = ""  # committee the user sits on ("" = none)
    role: str = ""  # membership role in that committee

    @property
    def full_name(self) -> str:
        return f"{self.family} {self.given}".strip()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Quản trị hệ thống", "Administrator (superuser)"),
    DemoUser(
        "tochuc",
        "Chuyên viên Ban Tổ chức Tỉnh ủy",
        "Organisation-board staff",
        family="Lê Minh",
        given="Tuấn",
        unit_code="demo-tinh-btc",
        committee="Ban Tổ chức Tỉnh ủy",
        role=MEMBER,
    ),
    DemoUser(
        "uyvien",
        "Ủy viên Ban Thường vụ Tỉnh ủy",
        "Committee member",
        family="Nguyễn Thị Thu",
        given="Hà",
        gender=F,
        unit_code="demo-tinh-btgdv",
        position="Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy",
        committee="Ban Thường vụ Tỉnh ủy",
        role=MEMBER,
    ),
    DemoUser(
        "chutich",
        "Bí thư Tỉnh ủy, chủ trì Ban Thường vụ",
        "Committee chair",
        family="Phạm Văn",
        given="Thành",
        unit_code=ROOT_CODE,
        position="Bí thư Tỉnh ủy",
        committee="Ban Thường vụ Tỉnh ủy",
        role=CHAIR,
    ),
    DemoUser(
        "kiemtra",
        "Ủy viên Ủy ban Kiểm tra Tỉnh ủy",
        "Inspection auditor",
        family="Võ Thị Ngọc",
        given="Lan",
        gender=F,
        unit_code="demo-tinh-ubkt",
        committee="Ủy ban Kiểm tra Tỉnh ủy",
        role=MEMBER,
    ),
    DemoUser(
        "canbo",
        "Cán bộ, chỉ xem hồ sơ của mình",
        "Cadre (own record only)",
        family="Huỳnh Văn",
        given="Tâm",
        unit_code="demo-caolanh-pnv",
        position="Phó Trưởng phòng Nội vụ",
    ),
    DemoUser(
        "caolanh",
        "Ủy viên Ban Thường vụ Thành ủy Cao Lãnh",
        "District committee member (Cao Lãnh only)",
        family="Trương Thanh",
        given="Hải",
        unit_code="demo-caolanh",
        position="Trưởng Ban Tuyên giáo và Dân vận Thành ủy",
        committee="Ban Thường vụ Thành ủy Cao Lãnh",
        role=MEMBER,
    ),
)


def demo_logins() -> list[tuple[str, str]]:
    """``(username, role label)`` of every demo login; the password is :data:`DEMO_PASSWORD`."""
    return [(d.username, f"{d.role_vi} / {d.role_en}") for d in DEMO_USERS]


def logins_table() -> str:
    """The demo logins as a plain-text table (printed by ``seed_demo`` and the launcher)."""
    header = ("Tên đăng nhập", "Mật khẩu", "Vai trò", "Role")
    rows = [header] + [(d.username, DEMO_PASSWORD, d.role_vi, d.role_en) for d in DEMO_USERS]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass
class SeedResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def seed_demo() -> SeedResult:
    """Build the demo dataset unless it exists; always make sure the demo logins work."""
    with ThreadPoolExecutor(max_workers=1) as pool, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        users, stale, shared_hash = ensure_demo_users()
        # Hashing (PBKDF2, about a second) releases the GIL: let it run beside the build.
        password_hash = None
        if stale and shared_hash is None:
            password_hash = pool.submit(make_password, DEMO_PASSWORD)
        created = not OrgUnit.objects.filter(code=ROOT_CODE).exists()
        counts = _Builder(users).build() if created else {}
        warnings = _link_demo_users(users)
        if stale:
            encoded = shared_hash or password_hash.result()
            for user in stale:
                user.password = encoded
                user.save(update_fields=["password"])
    return SeedResult(created=created, counts=counts, warnings=warnings)


def ensure_demo_users() -> tuple[dict[str, object], list[object], str | None]:
    """Create or repair the demo users (active, names).

    Returns the users by username, the ones whose password is not :data:`DEMO_PASSWORD` (new
    users start with an unusable one), and a stored hash that is valid for it, if any. Each
    distinct stored hash is checked once, and the demo users share one hash (``seed_demo`` gives
    the valid one to the others), so a repeated run costs a single PBKDF2 check. A user
    whose hash is valid but differs from the shared one ("stale" too) is rare: Django re-hashes
    at login only when the hasher's work factor changes.
    """
    User = get_user_model()
    names = [d.username for d in DEMO_USERS]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    verdicts: dict[str, bool] = {}
    for user in users.values():
        if user.password not in verdicts:
            verdicts[user.password] = check_password(DEMO_PASSWORD, user.password)
    for spec in DEMO_USERS:
        user = users.get(spec.username)
        if user is None:
            user = User(username=spec.username)
            user.set_unusable_password()
        is_admin = spec.username == "admin"
        wanted = {"is_active": True, "is_staff": is_admin, "is_superuser": is_admin}
        if spec.family:  # the administrator keeps whatever name it has
            wanted |= {"first_name": spec.given, "last_name": spec.family}
        changed = [name for name, value in wanted.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, wanted[name])
        if user.pk is None:
            user.save()
        elif changed:
            user.save(update_fields=changed)
        users[spec.username] = user
    # The most common valid hash becomes the shared one; every other user gets it.
    valid = Counter(u.password for u in users.values() if verdicts.get(u.password, False))
    shared_hash = valid.most_common(1)[0][0] if valid else None
    stale = [u for u in users.values() if u.password != shared_hash]
    return users, stale, shared_hash


def _link_demo_users(users: dict[str, object]) -> list[str]:
    """Each demo user is linked to its cadre and sits on its committee (repairs, else no-op)."""
    root = OrgUnit.objects.filter(code=ROOT_CODE).first()
    if root is None:
        return []
    in_demo = {"unit__path__startswith": root.path}
    today = timezone.localdate()
    warnings = []
    for spec in DEMO_USERS:
        user = users[spec.username]
        if spec.unit_code and not Cadre.objects.filter(user=user).exists():
            cadre = Cadre.objects.filter(
                full_name=spec.full_name, unit__code=spec.unit_code, user__isnull=True
            ).first()
            if cadre is None:
                warnings.append(f"{spec.username}: cadre record {spec.full_name!r} not found.")
            else:
                services.cadre_link_user(actor=None, cadre=cadre, user=user)
        if not spec.committee:
            continue
        committee = Committee.objects.filter(name=spec.committee, **in_demo).first()
        if committee is None:
            warnings.append(f"{spec.username}: committee {spec.committee!r} not found.")
            continue
        mine = CommitteeMembership.objects.filter(committee=committee, user=user)
        if mine.filter(active_on(today)).exists():
            continue
        started_on = today if mine.exists() else TERM_START
        try:
            services.membership_add(
                actor=None, committee=committee, user=user, role=spec.role, started_on=started_on
            )
        except ValidationError as exc:
            warnings.append(f"{spec.username}: could not rejoin {committee}: {exc.messages[0]}")
    return warnings


# --------------------------------------------------------------------------- geography


@dataclass(frozen=True)
class _District:
    key: str
    name: str
    short: str
    city: bool
    communes: tuple[tuple[str, str], ...]

    @property
    def code(self) -> str:
        return f"demo-{self.key}"

    @property
    def uy(self) -> str:  # the Party committee: "Thành ủy" / "Huyện ủy"
        return "Thành ủy" if self.city else "Huyện ủy"

    @property
    def kw(self) -> str:  # the locality word in state titles
        return "thành phố" if self.city else "huyện"

    @property
    def ref(self) -> str:  # suffix of document numbers: 12-QĐ/TU, 34-KL/HU
        return "TU" if self.city else "HU"


DISTRICTS = (
    _District(
        "caolanh",
        "Thành phố Cao Lãnh",
        "Cao Lãnh",
        True,
        (
            ("p1", "Phường 1"),
            ("myphu", "Phường Mỹ Phú"),
            ("mytan", "Xã Mỹ Tân"),
            ("tanthuandong", "Xã Tân Thuận Đông"),
        ),
    ),
    _District(
        "sadec",
        "Thành phố Sa Đéc",
        "Sa Đéc",
        True,
        (("anhoa", "Phường An Hòa"), ("tankhanhdong", "Xã Tân Khánh Đông")),
    ),
    _District(
        "hongngu",
        "Huyện Hồng Ngự",
        "Hồng Ngự",
        False,
        (
            ("thuongthoitien", "Thị trấn Thường Thới Tiền"),
            ("thuongthoihaua", "Xã Thường Thới Hậu A"),
            ("longkhanha", "Xã Long Khánh A"),
        ),
    ),
    _District(
        "bachthong",
        "Huyện Bạch Thông",
        "Bạch Thông",
        False,
        (
            ("phuthong", "Thị trấn Phủ Thông"),
            ("camgiang", "Xã Cẩm Giàng"),
            ("lucbinh", "Xã Lục Bình"),
        ),
    ),
)
_DISTRICT_BY_KEY = {d.key: d for d in DISTRICTS}

PROVINCE_AGENCIES = (
    ("demo-tinh-btc", "Ban Tổ chức Tỉnh ủy", UnitKind.PARTY_AGENCY),
    ("demo-tinh-ubkt", "Ủy ban Kiểm tra Tỉnh ủy", UnitKind.PARTY_AGENCY),
    ("demo-tinh-btgdv", "Ban Tuyên giáo và Dân vận Tỉnh ủy", UnitKind.PARTY_AGENCY),
    ("demo-tinh-snv", "Sở Nội vụ", UnitKind.STATE_AGENCY),
    ("demo-tinh-sgddt", "Sở Giáo dục và Đào tạo", UnitKind.STATE_AGENCY),
    ("demo-tinh-stc", "Sở Tài chính", UnitKind.STATE_AGENCY),
    ("demo-tinh-mttq", "Ủy ban MTTQ Việt Nam tỉnh", UnitKind.MASS_ORGANISATION),
)


def _district_agencies(d: _District) -> tuple[tuple[str, str, str], ...]:
    return (
        (f"{d.code}-btc", f"Ban Tổ chức {d.uy} {d.short}", UnitKind.PARTY_AGENCY),
        (f"{d.code}-ubkt", f"Ủy ban Kiểm tra {d.uy} {d.short}", UnitKind.PARTY_AGENCY),
        (f"{d.code}-pnv", f"Phòng Nội vụ {d.kw} {d.short}", UnitKind.STATE_AGENCY),
        (f"{d.code}-pgd", f"Phòng Giáo dục và Đào tạo {d.kw} {d.short}", UnitKind.STATE_AGENCY),
        (f"{d.code}-mttq", f"Ủy ban MTTQ Việt Nam {d.kw} {d.short}", UnitKind.MASS_ORGANISATION),
    )


def _commune_word(name: str) -> str:
    for prefix in ("Thị trấn", "Phường", "Xã"):
        if name.startswith(prefix):
            return prefix.lower()
    return "xã"


_DT = ", tỉnh Đồng Tháp"
HOME_TOWNS = {
    "caolanh": [
        f"{p}, thành phố Cao Lãnh{_DT}"
        for p in ("phường Mỹ Phú", "xã Mỹ Tân", "xã Tân Thuận Đông", "xã Hòa An", "xã Mỹ Trà")
    ],
    "sadec": [
        f"{p}, thành phố Sa Đéc{_DT}"
        for p in ("xã Tân Khánh Đông", "phường An Hòa", "xã Tân Quy Tây", "xã Tân Phú Đông")
    ],
    "hongngu": [
        f"{p}, huyện Hồng Ngự{_DT}"
        for p in ("xã Thường Thới Hậu A", "xã Long Khánh A", "xã Thường Phước 1", "xã Phú Thuận A")
    ],
    "bachthong": [
        f"xã {p}, huyện Bạch Thông"
        for p in (
            "Cẩm Giàng",
            "Quân Hà",
            "Nguyên Phúc",
            "Vi Hương",
            "Lục Bình",
            "Sỹ Bình",
            "Đôn Phong",
        )
    ],
    "province": [
        f"{p}{_DT}"
        for p in (
            "xã Tân Hội Trung, huyện Cao Lãnh",
            "xã Mỹ Hiệp, huyện Cao Lãnh",
            "xã An Bình, huyện Cao Lãnh",
            "xã Định Yên, huyện Lấp Vò",
            "xã Long Hưng A, huyện Lấp Vò",
            "xã Phú Thành B, huyện Tam Nông",
            "xã Mỹ Hòa, huyện Tháp Mười",
            "xã Trường Xuân, huyện Tháp Mười",
            "xã Bình Thạnh, huyện Thanh Bình",
            "xã Hòa Long, huyện Lai Vung",
            "xã An Nhơn, huyện Châu Thành",
            "xã Tân Thành, huyện Tân Hồng",
        )
    ],
}

# --------------------------------------------------------------------------- names

FAMILY_KINH = (
    ("Nguyễn", 31),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 6),
    ("Huỳnh", 6),
    ("Võ", 6),
    ("Phan", 4),
    ("Trương", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Lý", 2),
    ("Đoàn", 1),
    ("Châu", 1),
    ("Mai", 1),
    ("Cao", 1),
    ("Đinh", 1),
    ("Lương", 1),
    ("Tô", 1),
)
FAMILY_HOA = (
    ("Lâm", 3),
    ("Quách", 2),
    ("Tăng", 2),
    ("Lư", 1),
    ("Mã", 1),
    ("Hứa", 1),
    ("Diệp", 1),
    ("Trương", 2),
    ("Lý", 2),
)
FAMILY_KHMER = (("Thạch", 4), ("Sơn", 3), ("Danh", 3), ("Kim", 2), ("Chau", 1), ("Lâm", 1))
FAMILY_TAY_NUNG = (
    ("Hoàng", 18),
    ("Nông", 14),
    ("Lục", 7),
    ("Ma", 6),
    ("Hà", 8),
    ("Lý", 5),
    ("Bế", 5),
    ("Đàm", 4),
    ("Triệu", 4),
    ("La", 3),
    ("Lường", 2),
    ("Nguyễn", 8),
    ("Lương", 4),
    ("Mạc", 3),
)
FAMILY_DAO = (("Triệu", 30), ("Bàn", 25), ("Lý", 15), ("Đặng", 15), ("Phùng", 5))

MIDDLE_M = (
    ("Văn", 34),
    ("Minh", 10),
    ("Thanh", 9),
    ("Hữu", 8),
    ("Quốc", 7),
    ("Tấn", 6),
    ("Ngọc", 5),
    ("Hoàng", 5),
    ("Công", 5),
    ("Đức", 4),
    ("Phước", 4),
    ("Chí", 4),
    ("Trung", 3),
    ("Thành", 3),
)
MIDDLE_M_NORTH = (
    ("Văn", 40),
    ("Đức", 10),
    ("Minh", 6),
    ("Quang", 6),
    ("Xuân", 6),
    ("Mạnh", 5),
    ("Thanh", 5),
    ("Tiến", 4),
    ("Hữu", 4),
    ("Ngọc", 3),
    ("Hồng", 3),
)
MIDDLE_F = (
    ("Thị", 46),
    ("Ngọc", 12),
    ("Thanh", 8),
    ("Kim", 8),
    ("Thu", 6),
    ("Hồng", 6),
    ("Mỹ", 5),
    ("Bích", 4),
    ("Phương", 3),
    ("Thúy", 2),
)
SECOND_MIDDLE_F = ("Thu", "Ngọc", "Kim", "Mỹ", "Bích", "Thanh", "Hồng", "Diễm", "Thùy", "Kiều")
GIVEN_M = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Định",
    "Hải",
    "Hiếu",
    "Hòa",
    "Hoàng",
    "Hùng",
    "Huy",
    "Khang",
    "Khánh",
    "Kiệt",
    "Lâm",
    "Long",
    "Lộc",
    "Lợi",
    "Minh",
    "Nam",
    "Nghĩa",
    "Nhân",
    "Phong",
    "Phúc",
    "Quang",
    "Sang",
    "Sơn",
    "Tài",
    "Tâm",
    "Tân",
    "Thắng",
    "Thành",
    "Thiện",
    "Thịnh",
    "Toàn",
    "Trí",
    "Trung",
    "Tuấn",
    "Tùng",
    "Vinh",
    "Vũ",
    "Bảo",
    "Duy",
    "Hậu",
    "Phát",
    "Tiến",
    "Hưng",
    "Triều",
    "Nhựt",
)
GIVEN_M_NORTH = (
    "Chiến",
    "Cương",
    "Kiên",
    "Mạnh",
    "Quân",
    "Thái",
    "Toản",
    "Tuân",
    "Việt",
    "Trường",
    "Khải",
    "Lực",
    "Hưng",
    "Sơn",
    "Dũng",
    "Hải",
    "Long",
    "Thắng",
)
GIVEN_F = (
    "Anh",
    "Châu",
    "Diễm",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Huệ",
    "Hương",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phượng",
    "Quyên",
    "Thảo",
    "Thắm",
    "Thủy",
    "Trang",
    "Trinh",
    "Tuyết",
    "Uyên",
    "Vân",
    "Xuân",
    "Yến",
    "Nhi",
    "Thư",
    "Nguyệt",
)
GIVEN_KHMER_M = ("Sóc", "Phol", "Sa Rinh", "Rết", "Khol", "Sô Phát", "Ni", "Sa Muôn")
GIVEN_KHMER_F = ("Sa Ra", "Sô Phia", "Chanh Đa", "Ly Na", "Sa Vân", "Thi Da")

ETHNICITIES = {
    "bachthong": (("Tày", 45), ("Kinh", 25), ("Nùng", 16), ("Dao", 12), ("Hoa", 2)),
    "province": (("Kinh", 92), ("Khmer", 3), ("Hoa", 3), ("Tày", 2)),
    "default": (("Kinh", 93), ("Khmer", 4), ("Hoa", 3)),
}

# How likely a cadre rates high / mid / low in the yearly evaluations, by kind of post.
QUALITY = {
    "leader": (("high", 35), ("mid", 60), ("low", 5)),
    "post": (("high", 25), ("mid", 62), ("low", 13)),
    "staff": (("high", 18), ("mid", 65), ("low", 17)),
}

# Qualifications by the level of the post held: (lowest level, education, political theory,
# state management), each a list of (value, weight). Holders are then raised to the post's minimums.
QUALIFICATIONS = (
    (
        PL.PROVINCE_DEPUTY,
        ((ED.BACHELOR, 2), (ED.MASTER, 6), (ED.DOCTOR, 2)),
        ((TH.ADVANCED, 1),),
        ((SM.SENIOR_SPECIALIST, 8), (SM.PRINCIPAL_SPECIALIST, 2)),
    ),
    (
        PL.PROVINCE_OFFICE_DEPUTY,
        ((ED.BACHELOR, 4), (ED.MASTER, 5), (ED.DOCTOR, 1)),
        ((TH.ADVANCED, 1),),
        ((SM.SENIOR_SPECIALIST, 3), (SM.PRINCIPAL_SPECIALIST, 7)),
    ),
    (
        PL.DISTRICT_DEPUTY,
        ((ED.BACHELOR, 5), (ED.MASTER, 5)),
        ((TH.ADVANCED, 1),),
        ((SM.PRINCIPAL_SPECIALIST, 8), (SM.SENIOR_SPECIALIST, 2)),
    ),
    (
        PL.DISTRICT_OFFICE_DEPUTY,
        ((ED.BACHELOR, 7), (ED.MASTER, 3)),
        ((TH.INTERMEDIATE, 6), (TH.ADVANCED, 4)),
        ((SM.SPECIALIST, 6), (SM.PRINCIPAL_SPECIALIST, 4)),
    ),
    (
        PL.COMMUNE_DEPUTY,
        ((ED.BACHELOR, 9), (ED.MASTER, 1)),
        ((TH.INTERMEDIATE, 85), (TH.ADVANCED, 15)),
        ((SM.SPECIALIST, 8), (SM.NONE, 2)),
    ),
    (  # specialists without a post
        0,
        ((ED.COLLEGE, 15), (ED.BACHELOR, 75), (ED.MASTER, 10)),
        ((TH.NONE, 3), (TH.ELEMENTARY, 5), (TH.INTERMEDIATE, 2)),
        ((SM.NONE, 4), (SM.SPECIALIST, 6)),
    ),
)

# --------------------------------------------------------------------------- training catalogue

BACHELORS = (
    ("Cử nhân Luật", "Trường Đại học Cần Thơ"),
    ("Cử nhân Hành chính học", "Học viện Hành chính Quốc gia"),
    ("Cử nhân Kinh tế", "Trường Đại học Kinh tế TP. Hồ Chí Minh"),
    ("Cử nhân Sư phạm Ngữ văn", "Trường Đại học Đồng Tháp"),
    ("Kỹ sư Nông học", "Trường Đại học Cần Thơ"),
    ("Cử nhân Xây dựng Đảng và Chính quyền nhà nước", "Học viện Chính trị khu vực IV"),
    ("Cử nhân Quản lý nhà nước", "Học viện Hành chính Quốc gia"),
)
BACHELORS_NORTH = (
    ("Kỹ sư Lâm nghiệp", "Trường Đại học Nông Lâm - Đại học Thái Nguyên"),
    ("Cử nhân Sư phạm Lịch sử", "Trường Đại học Sư phạm - Đại học Thái Nguyên"),
    ("Cử nhân Luật", "Trường Đại học Luật Hà Nội"),
    ("Cử nhân Xây dựng Đảng và Chính quyền nhà nước", "Học viện Chính trị khu vực I"),
)
MASTERS = (
    ("Thạc sĩ Quản lý công", "Học viện Hành chính Quốc gia"),
    ("Thạc sĩ Quản lý kinh tế", "Trường Đại học Cần Thơ"),
    ("Thạc sĩ Luật", "Trường Đại học Luật TP. Hồ Chí Minh"),
    ("Thạc sĩ Chính trị học", "Học viện Chính trị khu vực IV"),
)
DOCTORS = (
    ("Tiến sĩ Quản lý công", "Học viện Hành chính Quốc gia"),
    ("Tiến sĩ Kinh tế chính trị", "Học viện Chính trị quốc gia Hồ Chí Minh"),
)
SCHOOL = "Trường Chính trị tỉnh Đồng Tháp"
SM_COURSES = {
    SM.SPECIALIST: ("Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên", SCHOOL),
    SM.PRINCIPAL_SPECIALIST: (
        "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên chính",
        SCHOOL,
    ),
    SM.SENIOR_SPECIALIST: (
        "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên cao cấp",
        "Học viện Hành chính Quốc gia",
    ),
}

# The 2025–2030 plan is approved (a few entries were removed at the yearly review); the
# 2030–2035 plan is being drawn up in 2026.
PLANNING_STATUS = {
    2025: (
        (PlanningStatus.APPROVED, 85),
        (PlanningStatus.PROPOSED, 10),
        (PlanningStatus.REMOVED, 5),
    ),
    2030: ((PlanningStatus.PROPOSED, 6), (PlanningStatus.APPROVED, 4)),
}
REMOVAL_REASONS = (
    "Chuyển công tác ra ngoài tỉnh.",
    "Không hoàn thành nhiệm vụ năm 2025.",
    "Không còn đủ tuổi bổ nhiệm theo quy định.",
)
DISCIPLINE_REASONS = (
    "Thiếu trách nhiệm trong lãnh đạo, chỉ đạo quản lý đất đai, để xảy ra lấn chiếm đất công.",
    "Vi phạm quy định về kê khai tài sản, thu nhập.",
    "Thiếu kiểm tra, giám sát để cấp dưới sai phạm trong sử dụng kinh phí hỗ trợ hộ nghèo.",
    "Vi phạm quy định về quản lý đầu tư xây dựng công trình trường học.",
    "Vi phạm quy định về những điều đảng viên không được làm.",
)


# --------------------------------------------------------------------------- plan objects


@dataclass
class _PosSpec:
    unit_code: str
    title: str
    level: int
    branch: str
    seats: int = 1
    manager: str | None = None  # committee key of the managing standing committee
    start: str = "appointed"  # party | commune_party | gov | front | appointed
    standing: tuple[str, str] | None = None  # (committee key, role) of the seat holders
    standing_seats: int = 1
    board: tuple[str, str] | None = None  # (committee key, role): org board / inspection
    also: tuple[str, str] | None = None  # a further seat, e.g. on the province standing committee
    vacancy: bool = False  # may a seat stay empty
    obj: Position | None = None
    index: int = -1

    def minimums(self) -> tuple[int, int, int]:
        """(political theory, education, state management) required for the post."""
        if self.level >= PL.PROVINCE_DEPUTY:
            return TH.ADVANCED, ED.BACHELOR, SM.SENIOR_SPECIALIST
        if self.level >= PL.DISTRICT_DEPUTY:
            return TH.ADVANCED, ED.BACHELOR, SM.PRINCIPAL_SPECIALIST
        if self.level >= PL.COMMUNE_HEAD:
            return TH.INTERMEDIATE, ED.BACHELOR, SM.SPECIALIST
        return TH.INTERMEDIATE, ED.BACHELOR, SM.NONE


@dataclass
class _Person:
    family: str
    given: str
    gender: str
    date_of_birth: dt.date
    ethnicity: str
    home_town: str
    party_admission_date: dt.date | None
    education: int
    theory: int
    state_management: int
    unit_code: str
    branch: str
    level: int  # level of the post held now, 0 for staff
    quality: str  # high | mid | low: drives evaluations
    spec: _PosSpec | None = None
    started_on: dt.date | None = None
    memberships: list[tuple[str, str]] = field(default_factory=list)
    demo: DemoUser | None = None
    user: object | None = None
    cadre: Cadre | None = None

    @property
    def full_name(self) -> str:
        return f"{self.family} {self.given}"


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _plus_years(day: dt.date, years: float) -> dt.date:
    return day + dt.timedelta(days=round(years * 365.25))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )


# --------------------------------------------------------------------------- the builder


class _Builder:
    def __init__(self, demo_users: dict[str, object]):
        self.rng = random.Random(SEED)
        self.demo_users = demo_users
        self.units: dict[str, OrgUnit] = {}
        self.branch_of: dict[str, str] = {}  # unit code -> "province" or a district key
        self.committees: dict[str, Committee] = {}
        self.specs: list[_PosSpec] = []
        self.people: list[_Person] = []
        self.taken_names = {d.full_name for d in DEMO_USERS if d.unit_code}
        self.intervals: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        self.holdings: list[PositionHolding] = []

    # ----------------------------------------------------------------- orchestration

    def build(self) -> dict[str, int]:
        self._create_units()
        self._create_committees()
        self._create_positions()
        self._plan_holders()
        self._plan_staff()
        placed = {p.demo.username for p in self.people if p.demo}
        assert placed == {d.username for d in DEMO_USERS if d.unit_code}, placed
        self._save_people()
        self._save_holdings()
        self._save_memberships()
        planned = self._save_planning()
        self._save_evaluations()
        self._save_trainings(planned)
        self._save_conclusions(planned)
        self._save_discipline_and_cases(planned)
        return {
            "units": len(self.units),
            "committees": len(self.committees),
            "positions": len(self.specs),
            "cadres": len(self.people),
            "holdings": len(self.holdings),
        }

    def _next_ref(self) -> int:
        return self.rng.randint(12, 1480)

    # ----------------------------------------------------------------- organisation

    def _unit(self, code, name, kind, level, parent_code=None, branch="province") -> None:
        # A sorted insert (node_order_by) may move siblings, so the paths held here go stale;
        # the service re-reads the parent by id, and all units are re-read at the end.
        self.units[code] = services.org_unit_create(
            actor=None,
            name=name,
            code=code,
            kind=kind,
            management_level=level,
            parent=self.units[parent_code] if parent_code else None,
        )
        self.branch_of[code] = branch

    def _create_units(self) -> None:
        self._unit(ROOT_CODE, "Tỉnh Đồng Tháp", UnitKind.PROVINCE_PARTY, ManagementLevel.PROVINCE)
        for code, name, kind in PROVINCE_AGENCIES:
            self._unit(code, name, kind, ManagementLevel.PROVINCE, ROOT_CODE)
        for d in DISTRICTS:
            self._unit(
                d.code, d.name, UnitKind.DISTRICT_PARTY, ManagementLevel.PROVINCE, ROOT_CODE, d.key
            )
            for code, name, kind in _district_agencies(d):
                self._unit(code, name, kind, ManagementLevel.DISTRICT, d.code, d.key)
            for key, name in d.communes:
                self._unit(
                    f"{d.code}-{key}",
                    name,
                    UnitKind.COMMUNE_PARTY,
                    ManagementLevel.DISTRICT,
                    d.code,
                    d.key,
                )
        self.units = OrgUnit.objects.in_bulk(list(self.units), field_name="code")

    def _create_committees(self) -> None:
        bodies = [("province", ROOT_CODE, "Tỉnh ủy")] + [
            (d.key, d.code, f"{d.uy} {d.short}") for d in DISTRICTS
        ]
        for branch, code, suffix in bodies:
            for kind, prefix in (
                (CommitteeKind.STANDING, "Ban Thường vụ"),
                (CommitteeKind.ORGANISATION_BOARD, "Ban Tổ chức"),
                (CommitteeKind.INSPECTION, "Ủy ban Kiểm tra"),
            ):
                self.committees[f"{branch}:{kind}"] = services.committee_create(
                    actor=None,
                    name=f"{prefix} {suffix}",
                    kind=kind,
                    unit=self.units[code],
                    term_start=TERM_START,
                    term_end=TERM_END,
                )

    def _province_specs(self) -> list[_PosSpec]:
        s = "province:standing"
        org, insp = "province:org_board", "province:inspection"
        root, btc, ubkt, btg = ROOT_CODE, "demo-tinh-btc", "demo-tinh-ubkt", "demo-tinh-btgdv"

        def p(unit, title, level, **kw):
            return _PosSpec(unit, title, level, "province", **kw)

        specs = [
            # The top posts are on the Politburo / Secretariat list: no managing body here.
            p(root, "Bí thư Tỉnh ủy", PL.PROVINCE_HEAD, start="party", standing=(s, CHAIR)),
            p(
                root,
                "Phó Bí thư Thường trực Tỉnh ủy",
                PL.PROVINCE_DEPUTY,
                start="party",
                standing=(s, DEPUTY),
            ),
            p(root, "Chủ tịch UBND tỉnh", PL.PROVINCE_HEAD, start="gov", standing=(s, DEPUTY)),
            p(root, "Chủ tịch HĐND tỉnh", PL.PROVINCE_DEPUTY, start="gov", standing=(s, MEMBER)),
            p(
                root,
                "Phó Chủ tịch UBND tỉnh",
                PL.PROVINCE_DEPUTY,
                seats=3,
                start="gov",
                standing=(s, MEMBER),
                vacancy=True,
            ),
            p(
                btc,
                "Trưởng Ban Tổ chức Tỉnh ủy",
                PL.PROVINCE_OFFICE_HEAD,
                manager=s,
                start="party",
                standing=(s, MEMBER),
                board=(org, CHAIR),
            ),
            p(
                btc,
                "Phó Trưởng Ban Tổ chức Tỉnh ủy",
                PL.PROVINCE_OFFICE_DEPUTY,
                seats=3,
                manager=s,
                board=(org, DEPUTY),
            ),
            p(
                ubkt,
                "Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy",
                PL.PROVINCE_OFFICE_HEAD,
                manager=s,
                start="party",
                standing=(s, MEMBER),
                board=(insp, CHAIR),
            ),
            p(
                ubkt,
                "Phó Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy",
                PL.PROVINCE_OFFICE_DEPUTY,
                seats=3,
                manager=s,
                board=(insp, DEPUTY),
            ),
            p(
                btg,
                "Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy",
                PL.PROVINCE_OFFICE_HEAD,
                manager=s,
                start="party",
                standing=(s, MEMBER),
            ),
            p(
                btg,
                "Phó Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy",
                PL.PROVINCE_OFFICE_DEPUTY,
                seats=3,
                manager=s,
                vacancy=True,
            ),
        ]
        for code, name in (
            ("demo-tinh-snv", "Sở Nội vụ"),
            ("demo-tinh-sgddt", "Sở Giáo dục và Đào tạo"),
            ("demo-tinh-stc", "Sở Tài chính"),
        ):
            specs += [
                p(code, f"Giám đốc {name}", PL.PROVINCE_OFFICE_HEAD, manager=s),
                p(
                    code,
                    f"Phó Giám đốc {name}",
                    PL.PROVINCE_OFFICE_DEPUTY,
                    seats=3,
                    manager=s,
                    vacancy=True,
                ),
            ]
        specs += [
            p(
                "demo-tinh-mttq",
                "Chủ tịch Ủy ban MTTQ Việt Nam tỉnh",
                PL.PROVINCE_OFFICE_HEAD,
                manager=s,
                start="front",
                standing=(s, MEMBER),
            ),
            p(
                "demo-tinh-mttq",
                "Phó Chủ tịch Ủy ban MTTQ Việt Nam tỉnh",
                PL.PROVINCE_OFFICE_DEPUTY,
                seats=3,
                manager=s,
                start="front",
                vacancy=True,
            ),
        ]
        return specs

    def _district_specs(self, d: _District) -> list[_PosSpec]:
        ps, s = "province:standing", f"{d.key}:standing"
        org, insp = f"{d.key}:org_board", f"{d.key}:inspection"
        u, uy, kw = d.code, d.uy, d.kw

        def p(unit, title, level, **kw_):
            return _PosSpec(unit, title, level, d.key, **kw_)

        specs = [
            # The secretaries of the two cities also sit on the province standing committee.
            p(
                u,
                f"Bí thư {uy}",
                PL.DISTRICT_HEAD,
                manager=ps,
                start="party",
                standing=(s, CHAIR),
                also=(ps, MEMBER) if d.city else None,
            ),
            p(
                u,
                f"Phó Bí thư Thường trực {uy}",
                PL.DISTRICT_DEPUTY,
                manager=ps,
                start="party",
                standing=(s, DEPUTY),
            ),
            p(
                u,
                f"Chủ tịch UBND {kw}",
                PL.DISTRICT_HEAD,
                manager=ps,
                start="gov",
                standing=(s, DEPUTY),
            ),
            p(
                u,
                f"Phó Chủ tịch UBND {kw}",
                PL.DISTRICT_DEPUTY,
                seats=3 if d.city else 2,
                manager=ps,
                start="gov",
                standing=(s, MEMBER),
                standing_seats=2 if d.city else 1,
                vacancy=True,
            ),
            p(
                u,
                f"Trưởng Ban Tuyên giáo và Dân vận {uy}",
                PL.DISTRICT_OFFICE_HEAD,
                manager=ps,
                start="party",
                standing=(s, MEMBER),
            ),
            p(
                f"{u}-btc",
                f"Trưởng Ban Tổ chức {uy}",
                PL.DISTRICT_OFFICE_HEAD,
                manager=ps,
                start="party",
                standing=(s, MEMBER),
                board=(org, CHAIR),
            ),
            p(
                f"{u}-btc",
                f"Phó Trưởng Ban Tổ chức {uy}",
                PL.DISTRICT_OFFICE_DEPUTY,
                seats=2,
                manager=s,
                board=(org, DEPUTY),
            ),
            p(
                f"{u}-ubkt",
                f"Chủ nhiệm Ủy ban Kiểm tra {uy}",
                PL.DISTRICT_OFFICE_HEAD,
                manager=ps,
                start="party",
                standing=(s, MEMBER),
                board=(insp, CHAIR),
            ),
            p(
                f"{u}-ubkt",
                f"Phó Chủ nhiệm Ủy ban Kiểm tra {uy}",
                PL.DISTRICT_OFFICE_DEPUTY,
                seats=2,
                manager=s,
                board=(insp, DEPUTY),
            ),
            p(f"{u}-pnv", "Trưởng phòng Nội vụ", PL.DISTRICT_OFFICE_HEAD, manager=s),
            p(
                f"{u}-pnv",
                "Phó Trưởng phòng Nội vụ",
                PL.DISTRICT_OFFICE_DEPUTY,
                seats=2,
                manager=s,
                vacancy=True,
            ),
            p(
                f"{u}-pgd",
                "Trưởng phòng Giáo dục và Đào tạo",
                PL.DISTRICT_OFFICE_HEAD,
                manager=s,
                vacancy=True,
            ),
            p(
                f"{u}-pgd",
                "Phó Trưởng phòng Giáo dục và Đào tạo",
                PL.DISTRICT_OFFICE_DEPUTY,
                seats=2,
                manager=s,
                vacancy=True,
            ),
            p(
                f"{u}-mttq",
                f"Chủ tịch Ủy ban MTTQ Việt Nam {kw}",
                PL.DISTRICT_OFFICE_HEAD,
                manager=ps,
                start="front",
                standing=(s, MEMBER),
            ),
            p(
                f"{u}-mttq",
                f"Phó Chủ tịch Ủy ban MTTQ Việt Nam {kw}",
                PL.DISTRICT_OFFICE_DEPUTY,
                seats=2,
                manager=s,
                start="front",
                vacancy=True,
            ),
        ]
        # The secretaries of the first one or two communes sit on the district standing committee.
        on_standing = 2 if d.city else 1
        for index, (key, name) in enumerate(d.communes):
            cu, w = f"{u}-{key}", _commune_word(name)
            specs += [
                p(
                    cu,
                    f"Bí thư Đảng ủy {w}",
                    PL.COMMUNE_HEAD,
                    manager=s,
                    start="commune_party",
                    standing=(s, MEMBER) if index < on_standing else None,
                ),
                p(
                    cu,
                    f"Phó Bí thư Đảng ủy {w}",
                    PL.COMMUNE_DEPUTY,
                    manager=s,
                    start="commune_party",
                ),
                p(cu, f"Chủ tịch UBND {w}", PL.COMMUNE_HEAD, manager=s, start="gov"),
                p(
                    cu,
                    f"Phó Chủ tịch UBND {w}",
                    PL.COMMUNE_DEPUTY,
                    seats=2,
                    manager=s,
                    start="gov",
                    vacancy=True,
                ),
                p(
                    cu,
                    f"Chủ tịch Ủy ban MTTQ Việt Nam {w}",
                    PL.COMMUNE_DEPUTY,
                    manager=s,
                    start="front",
                    vacancy=True,
                ),
            ]
        return specs

    def _create_positions(self) -> None:
        self.specs = self._province_specs()
        for d in DISTRICTS:
            self.specs += self._district_specs(d)
        objs = []
        for index, spec in enumerate(self.specs):
            spec.index = index
            theory, education, state_management = spec.minimums()
            spec.obj = Position(
                title=spec.title,
                unit=self.units[spec.unit_code],
                level=spec.level,
                seats=spec.seats,
                managing_committee=self.committees[spec.manager] if spec.manager else None,
                term_years=5,
                min_political_theory=theory,
                min_education=education,
                min_state_management=state_management,
            )
            objs.append(spec.obj)
        Position.objects.bulk_create(objs)

    # ----------------------------------------------------------------- people

    def _name(self, gender: str, ethnicity: str, branch: str) -> tuple[str, str]:
        rng = self.rng
        while True:
            if ethnicity == "Khmer":
                family = _weighted(rng, FAMILY_KHMER)
                middle = "Thị" if gender == F else rng.choice(("", "", "Văn"))
                given = rng.choice(GIVEN_KHMER_F if gender == F else GIVEN_KHMER_M)
            else:
                family = _weighted(
                    rng,
                    {
                        "Hoa": FAMILY_HOA,
                        "Tày": FAMILY_TAY_NUNG,
                        "Nùng": FAMILY_TAY_NUNG,
                        "Dao": FAMILY_DAO,
                    }.get(ethnicity, FAMILY_KINH),
                )
                if gender == F:
                    middle = _weighted(rng, MIDDLE_F)
                    if middle == "Thị" and rng.random() < 0.3:
                        middle += " " + rng.choice(SECOND_MIDDLE_F)
                    given = rng.choice(GIVEN_F)
                else:
                    north = branch == "bachthong"
                    middle = _weighted(rng, MIDDLE_M_NORTH if north else MIDDLE_M)
                    given = rng.choice(GIVEN_M_NORTH if north and rng.random() < 0.7 else GIVEN_M)
            family_middle = f"{family} {middle}".strip()
            if given in middle.split():
                continue  # "Nguyễn Thanh Thanh"
            full = f"{family_middle} {given}"
            if full not in self.taken_names:
                self.taken_names.add(full)
                return family_middle, given

    def _person(
        self,
        unit_code: str,
        level: int,
        spec: _PosSpec | None = None,
        demo: DemoUser | None = None,
    ) -> _Person:
        rng = self.rng
        branch = self.branch_of[unit_code]
        born_from, born_to, p_female = {
            100: (1966, 1972, 0.1),
            90: (1966, 1975, 0.2),
            80: (1967, 1980, 0.25),
            70: (1970, 1984, 0.3),
            60: (1968, 1980, 0.15),
            50: (1970, 1984, 0.2),
            40: (1970, 1986, 0.25),
            30: (1974, 1990, 0.3),
            20: (1975, 1990, 0.15),
            10: (1978, 1994, 0.3),
            0: (1980, 1998, 0.36),
        }[level]
        gender = demo.gender if demo else (F if rng.random() < p_female else M)
        if gender == F:
            born_from = max(born_from, 1971)
        while True:
            dob = _day(rng, dt.date(born_from, 1, 1), dt.date(born_to, 12, 31))
            if retirement_date(dob, gender) > dt.date(2027, 6, 30):
                break
        ethnicity = (
            "Kinh" if demo else _weighted(rng, ETHNICITIES.get(branch, ETHNICITIES["default"]))
        )
        if demo:
            family, given = demo.family, demo.given
        else:
            family, given = self._name(gender, ethnicity, branch)
        pool = HOME_TOWNS.get(branch, HOME_TOWNS["province"])
        if branch != "bachthong" and rng.random() < 0.45:
            pool = HOME_TOWNS["province"] + HOME_TOWNS["caolanh"] + HOME_TOWNS["sadec"]
        home_town = rng.choice(pool)

        member = level > 0 or demo is not None or rng.random() < 0.88
        party = None
        if member:
            party = _plus_years(dob, rng.uniform(19, 30 if level >= 40 else 33))
            party = min(party, dt.date(2025, 6, 30))
            party = max(party, _plus_years(dob, 18.2))

        education, theory, state_management = self._qualifications(level, member)
        if spec is not None:
            minimum_theory, minimum_education, minimum_sm = spec.minimums()
            theory = max(theory, minimum_theory)
            education = max(education, minimum_education)
            state_management = max(state_management, minimum_sm)
        tier = "leader" if level >= PL.DISTRICT_DEPUTY else ("post" if level else "staff")
        quality = _weighted(rng, QUALITY[tier])
        return _Person(
            family=family,
            given=given,
            gender=gender,
            date_of_birth=dob,
            ethnicity=ethnicity,
            home_town=home_town,
            party_admission_date=party,
            education=education,
            theory=theory,
            state_management=state_management,
            unit_code=unit_code,
            branch=branch,
            level=level,
            quality=quality,
            spec=spec,
            demo=demo,
        )

    def _qualifications(self, level: int, member: bool) -> tuple[int, int, int]:
        """(education, political theory, state management) typical for the post's level."""
        education, theory, state_management = next(
            weights for lowest, *weights in QUALIFICATIONS if level >= lowest
        )
        return (
            _weighted(self.rng, education),
            _weighted(self.rng, theory) if member else TH.NONE,
            _weighted(self.rng, state_management),
        )

    def _plan_holders(self) -> None:
        demo_posts = {(d.unit_code, d.position): d for d in DEMO_USERS if d.position}
        for spec in self.specs:
            needed = max(spec.standing_seats if spec.standing else 0, 1)
            if spec.board:
                needed = spec.seats
            filled = spec.seats
            if spec.vacancy and self.rng.random() < (0.5 if spec.seats > 1 else 0.15):
                filled = max(spec.seats - 1, needed if spec.seats > 1 else 0)
            for seat in range(filled):
                demo = demo_posts.get((spec.unit_code, spec.title)) if seat == 0 else None
                person = self._person(spec.unit_code, spec.level, spec, demo)
                person.started_on = self._start_date(spec)
                if spec.standing and seat < spec.standing_seats:
                    person.memberships.append(spec.standing)
                if spec.board:
                    person.memberships.append(spec.board)
                if spec.also and seat == 0:
                    person.memberships.append(spec.also)
                self.people.append(person)

    def _start_date(self, spec: _PosSpec) -> dt.date:
        rng = self.rng
        if spec.start == "party":
            return TERM_START
        if spec.start == "commune_party":
            return _day(rng, dt.date(2025, 7, 8), dt.date(2025, 7, 25))
        if spec.start == "gov":
            return _day(rng, dt.date(2026, 4, 6), dt.date(2026, 4, 24))
        if spec.start == "front":
            return _day(rng, dt.date(2024, 5, 6), dt.date(2024, 9, 27))
        return _day(rng, dt.date(2021, 12, 1), dt.date(2025, 9, 30))

    def _plan_staff(self) -> None:
        """Specialists without a post; some sit on the organisation boards and inspection bodies."""
        committee_key = {c.name: key for key, c in self.committees.items()}
        per_unit = {ROOT_CODE: 3}
        for code, _, _ in PROVINCE_AGENCIES:
            per_unit[code] = 4
        for d in DISTRICTS:
            per_unit[d.code] = 3
            for code, _, _ in _district_agencies(d):
                per_unit[code] = 3
            for key, _ in d.communes:
                per_unit[f"{d.code}-{key}"] = 3
        staff: dict[str, list[_Person]] = defaultdict(list)
        for demo in DEMO_USERS:
            if demo.unit_code and not demo.position:
                person = self._person(demo.unit_code, 0, demo=demo)
                person.memberships.append((committee_key[demo.committee], demo.role))
                staff[demo.unit_code].append(person)
        codes = list(per_unit)
        while sum(per_unit.values()) + len(self.people) < TARGET_CADRES:
            per_unit[self.rng.choice(codes)] += 1
        for code, count in per_unit.items():
            while len(staff[code]) < count:
                staff[code].append(self._person(code, 0))
        # Ordinary members of the boards: one or two specialists of the board's own agency.
        boards = [
            ("province", "demo-tinh-btc", "org_board"),
            ("province", "demo-tinh-ubkt", "inspection"),
        ]
        for d in DISTRICTS:
            boards += [
                (d.key, f"{d.code}-btc", "org_board"),
                (d.key, f"{d.code}-ubkt", "inspection"),
            ]
        for branch, code, kind in boards:
            key = f"{branch}:{kind}"
            wanted = 2 if branch == "province" else self.rng.choice((1, 2))
            members = [p for p in staff[code] if (key, MEMBER) in p.memberships]
            for person in staff[code]:
                if len(members) >= wanted:
                    break
                if person not in members and person.party_admission_date:
                    person.memberships.append((key, MEMBER))
                    members.append(person)
        for code in per_unit:
            self.people.extend(staff[code])

    def _save_people(self) -> None:
        User = get_user_model()
        taken = set(User.objects.values_list("username", flat=True))
        taken |= {d.username for d in DEMO_USERS}
        new_users = []
        for person in self.people:
            if person.demo is not None or not person.memberships:
                continue
            base = _ascii(person.given.replace(" ", "")).lower() + "".join(
                _ascii(part[0]).lower() for part in person.family.split()
            )
            username, n = base, 2
            while username in taken:
                username, n = f"{base}{n}", n + 1
            taken.add(username)
            user = User(username=username, first_name=person.given, last_name=person.family)
            user.set_unusable_password()
            person.user = user
            new_users.append(user)
        User.objects.bulk_create(new_users)
        cadres = []
        for person in self.people:
            if person.demo is not None:
                person.user = self.demo_users[person.demo.username]
            person.cadre = Cadre(
                full_name=person.full_name,
                date_of_birth=person.date_of_birth,
                gender=person.gender,
                ethnicity=person.ethnicity,
                home_town=person.home_town,
                party_admission_date=person.party_admission_date,
                education_level=person.education,
                political_theory_level=person.theory,
                state_management_level=person.state_management,
                unit=self.units[person.unit_code],
                user=person.user,
            )
            cadres.append(person.cadre)
        Cadre.objects.bulk_create(cadres)

    # ----------------------------------------------------------------- holdings

    def _fits(self, index: int, seats: int, start: dt.date, end: dt.date | None) -> bool:
        """Would one more holding fit the seat count? (The same test as the database trigger.)"""
        others = self.intervals[index]

        def running(day):
            return sum(1 for s, e in others if s <= day and (e is None or e >= day))

        points = [start] + [
            s
            for s, e in others
            if s >= start and (end is None or s <= end) and (e is None or e >= start)
        ]
        return max(running(day) for day in points) + 1 <= seats

    def _hold(self, person: _Person, spec: _PosSpec, start: dt.date, end: dt.date | None) -> bool:
        if not self._fits(spec.index, spec.seats, start, end):
            return False
        self.intervals[spec.index].append((start, end))
        if spec.manager is None:
            ref = f"{self._next_ref()}-QĐ/TW"
        elif spec.start == "gov":
            ref = f"{self._next_ref()}/QĐ-UBND"
        else:
            suffix = (
                "TU" if spec.manager.startswith("province") else _DISTRICT_BY_KEY[spec.branch].ref
            )
            ref = f"{self._next_ref()}-QĐ/{suffix}"
        self.holdings.append(
            PositionHolding(
                cadre=person.cadre,
                position=spec.obj,
                started_on=start,
                term_ends_on=_add_years(start, 5),
                ended_on=end,
                decision_ref=ref,
            )
        )
        return True

    def _save_holdings(self) -> None:
        rng = self.rng
        holders = [p for p in self.people if p.spec is not None]
        for person in holders:
            if not self._hold(person, person.spec, person.started_on, None):
                raise RuntimeError(f"more holders than seats: {person.spec.title}")
        for person in holders:
            spec, earliest = person.spec, person.started_on
            # Re-elected / re-appointed: the same post in the previous term.
            if rng.random() < 0.35:
                start = _add_years(earliest, -5)
                if (start - person.date_of_birth).days > 30 * 365 and self._hold(
                    person, spec, start, earliest - dt.timedelta(days=1)
                ):
                    earliest = start
            # Promoted: a post one or two steps lower, before the current one.
            if spec.level >= PL.COMMUNE_HEAD and rng.random() < 0.55:
                lower = [
                    s
                    for s in self.specs
                    if spec.level - 20 <= s.level < spec.level
                    and (s.branch == spec.branch or spec.branch == "province")
                ]
                if lower:
                    target = rng.choice(lower)
                    end = earliest - dt.timedelta(days=rng.randint(1, 60))
                    start = _plus_years(end, -rng.uniform(2, 5))
                    if (start - person.date_of_birth).days > 25 * 365:
                        self._hold(person, target, start, end)
        PositionHolding.objects.bulk_create(self.holdings)

    def _save_memberships(self) -> None:
        """Memberships in bulk, then the service grants each member's scope once.

        ``membership_add`` would do the same per membership (validate, save, audit, sync scope);
        in bulk the database constraints still hold (one chair, one seat per person) and the
        guardian grants come from the same ``scope_sync_for_user`` service.
        """
        memberships, members = [], []
        for person in self.people:
            for key, role in person.memberships:
                memberships.append(
                    CommitteeMembership(
                        committee=self.committees[key],
                        user=person.user,
                        role=role,
                        started_on=TERM_START,
                    )
                )
            if person.memberships:
                members.append(person.user)
        CommitteeMembership.objects.bulk_create(memberships)
        for user in members:
            services.scope_sync_for_user(user=user, actor=None)

    # ----------------------------------------------------------------- records

    def _save_planning(self) -> dict[int, list[tuple[_Person, _PosSpec, int]]]:
        """≤ 3 cadres per post and ≤ 3 posts per cadre and term, only for posts above their own."""
        rng = self.rng
        per_cadre: Counter = Counter()
        per_post: Counter = Counter()
        entries: list[PlanningEntry] = []
        planned: dict[int, list[tuple[_Person, _PosSpec, int]]] = defaultdict(list)

        def add(person, spec, term, status):
            entries.append(
                PlanningEntry(
                    cadre=person.cadre,
                    position=spec.obj,
                    term_start_year=term,
                    term_end_year=term + 5,
                    status=status,
                    removal_reason=rng.choice(REMOVAL_REASONS)
                    if status == PlanningStatus.REMOVED
                    else "",
                )
            )
            per_cadre[(id(person), term)] += 1
            per_post[(id(spec), term)] += 1
            planned[id(person)].append((person, spec, term))

        canbo = next(p for p in self.people if p.demo and p.demo.username == "canbo")
        head = next(
            s
            for s in self.specs
            if s.unit_code == "demo-caolanh-pnv" and s.title == "Trưởng phòng Nội vụ"
        )
        add(canbo, head, 2025, PlanningStatus.APPROVED)

        for term in (2025, 2030):
            deadline = dt.date(term + 5, 12, 31)
            for spec in self.specs:
                if spec.manager is None:
                    continue
                count = rng.choices((0, 1, 2, 3), (2, 3, 3, 2) if term == 2025 else (4, 3, 2, 1))[0]
                pool = [
                    p
                    for p in self.people
                    if p.level < spec.level
                    and p.level >= spec.level - 30
                    and (p.level or spec.level <= PL.DISTRICT_OFFICE_DEPUTY)
                    and (p.branch == spec.branch or (spec.branch == "province" and p.level >= 50))
                    and p.party_admission_date is not None
                    and retirement_date(p.date_of_birth, p.gender) > deadline
                    and (term == 2025 or p.date_of_birth.year >= 1978)
                    and per_cadre[(id(p), term)] < 3
                    and not any(s is spec and t == term for _, s, t in planned[id(p)])
                ]
                count = min(count, 3 - per_post[(id(spec), term)], len(pool))
                for person in rng.sample(pool, count):
                    add(person, spec, term, _weighted(rng, PLANNING_STATUS[term]))
        PlanningEntry.objects.bulk_create(entries)
        return planned

    def _save_evaluations(self) -> None:
        rng = self.rng
        bands = {
            EvaluationLevel.EXCELLENT: (90, 99),
            EvaluationLevel.GOOD: (70, 89.5),
            EvaluationLevel.COMPLETED: (50, 69.5),
            EvaluationLevel.NOT_COMPLETED: (30, 49.5),
        }
        weights = {
            "high": (35, 60, 5, 0),
            "mid": (6, 70, 22, 2),
            "low": (0, 30, 60, 10),
        }
        levels = (
            EvaluationLevel.EXCELLENT,
            EvaluationLevel.GOOD,
            EvaluationLevel.COMPLETED,
            EvaluationLevel.NOT_COMPLETED,
        )
        results: list[EvaluationResult] = []
        groups: dict[tuple[int, str], list[EvaluationResult]] = defaultdict(list)
        for person in self.people:
            if person.demo is None and rng.random() < 0.06:
                continue  # records not yet entered
            first_year = max(2022, person.date_of_birth.year + 23)
            for year in range(first_year, 2026):
                level = rng.choices(levels, weights[person.quality])[0]
                result = EvaluationResult(
                    cadre=person.cadre,
                    period=EvaluationPeriod.YEAR,
                    year=year,
                    level=level,
                )
                results.append(result)
                groups[(year, person.branch)].append(result)
        # "Excellent" may be at most 20 % of "Good" in each year and managing committee.
        for group in groups.values():
            excellent = [r for r in group if r.level == EvaluationLevel.EXCELLENT]
            rng.shuffle(excellent)
            while excellent:
                good = sum(1 for r in group if r.level == EvaluationLevel.GOOD)
                if len(excellent) * 5 <= good:
                    break
                excellent.pop().level = EvaluationLevel.GOOD
        for result in results:
            low, high = bands[result.level]
            if result.level == EvaluationLevel.GOOD and rng.random() < 0.3:
                low = 80
            score = round(rng.uniform(low, high) * 2) / 2
            result.score = Decimal(f"{score:.2f}")
        EvaluationResult.objects.bulk_create(results)

    def _save_trainings(self, planned) -> None:
        rng = self.rng
        records: list[TrainingRecord] = []

        def add(person, kind, title, institution, start, months):
            start = min(start, dt.date(2025, 9, 1))
            end = None if months is None else start + dt.timedelta(days=round(months * 30.4))
            records.append(
                TrainingRecord(
                    cadre=person.cadre,
                    kind=kind,
                    title=title,
                    institution=institution,
                    started_on=start,
                    ended_on=end,
                )
            )

        for person in self.people:
            north = person.branch == "bachthong"
            academy = f"Học viện Chính trị khu vực {'I' if north else 'IV'}"
            district = _DISTRICT_BY_KEY.get(person.branch)
            dob = person.date_of_birth
            if person.education >= ED.BACHELOR and rng.random() < 0.55:
                title, school = rng.choice(BACHELORS_NORTH if north else BACHELORS)
                add(person, TrainingKind.DEGREE, title, school, dt.date(dob.year + 18, 9, 5), 46)
            master_start = None
            if person.education >= ED.MASTER:
                title, school = rng.choice(MASTERS)
                latest = min(dob.year + 40, 2023)
                master_start = dt.date(rng.randint(min(dob.year + 26, latest), latest), 10, 1)
                add(person, TrainingKind.DEGREE, title, school, master_start, 24)
            if person.education >= ED.DOCTOR and master_start:
                title, school = rng.choice(DOCTORS)
                add(person, TrainingKind.DEGREE, title, school, _add_years(master_start, 3), 42)
            party = person.party_admission_date
            if party and person.theory >= TH.ELEMENTARY:
                first = _day(rng, _add_years(party, -1), _add_years(party, 1))
                if person.theory == TH.ELEMENTARY:
                    add(
                        person,
                        TrainingKind.POLITICAL_THEORY,
                        "Sơ cấp lý luận chính trị",
                        f"Trung tâm Chính trị {district.kw} {district.short}"
                        if district
                        else SCHOOL,
                        max(first, _plus_years(dob, 18.5)),
                        3,
                    )
                elif person.theory == TH.INTERMEDIATE:
                    add(
                        person,
                        TrainingKind.POLITICAL_THEORY,
                        "Trung cấp lý luận chính trị - hành chính",
                        SCHOOL,
                        _day(rng, _add_years(party, 2), _add_years(party, 8)),
                        14,
                    )
                else:
                    central = rng.random() < 0.6
                    add(
                        person,
                        TrainingKind.POLITICAL_THEORY,
                        "Cao cấp lý luận chính trị" + ("" if central else " (hệ không tập trung)"),
                        academy if central else SCHOOL,
                        _day(rng, _add_years(party, 6), _add_years(party, 16)),
                        8 if central else 20,
                    )
            if person.state_management in SM_COURSES:
                title, school = SM_COURSES[person.state_management]
                add(
                    person,
                    TrainingKind.STATE_MANAGEMENT,
                    title,
                    school,
                    _day(rng, _plus_years(dob, 28), _plus_years(dob, 45)),
                    2,
                )
            for key, _role in person.memberships:
                if key.endswith(":org_board"):
                    add(
                        person,
                        TrainingKind.FOSTERING,
                        "Bồi dưỡng nghiệp vụ công tác tổ chức xây dựng Đảng",
                        "Ban Tổ chức Tỉnh ủy Đồng Tháp",
                        _day(rng, dt.date(2023, 3, 1), dt.date(2025, 6, 1)),
                        1,
                    )
                elif key.endswith(":inspection"):
                    add(
                        person,
                        TrainingKind.FOSTERING,
                        "Bồi dưỡng nghiệp vụ công tác kiểm tra, giám sát và thi hành kỷ luật đảng",
                        "Ủy ban Kiểm tra Tỉnh ủy Đồng Tháp",
                        _day(rng, dt.date(2023, 3, 1), dt.date(2025, 6, 1)),
                        1,
                    )
            # Planned for a post that needs advanced political theory: the course is under way.
            needs_advanced = any(
                spec.minimums()[0] > person.theory for _, spec, _ in planned.get(id(person), ())
            )
            if needs_advanced and person.theory == TH.INTERMEDIATE and rng.random() < 0.5:
                records.append(
                    TrainingRecord(
                        cadre=person.cadre,
                        kind=TrainingKind.POLITICAL_THEORY,
                        title="Cao cấp lý luận chính trị (hệ không tập trung)",
                        institution=SCHOOL,
                        started_on=_day(rng, dt.date(2026, 3, 2), dt.date(2026, 9, 14)),
                    )
                )
        TrainingRecord.objects.bulk_create(records)

    def _standing_name(self, branch: str) -> tuple[str, str]:
        committee = self.committees[f"{branch}:standing"]
        suffix = "TU" if branch == "province" else _DISTRICT_BY_KEY[branch].ref
        return committee.name, suffix

    def _save_conclusions(self, planned) -> None:
        rng = self.rng
        records = []
        for person in self.people:
            chance = 0.9 if person.spec or id(person) in planned else 0.35
            if rng.random() >= chance:
                continue
            # Issued by the standing committee that manages the post (or the cadre's own).
            manager = person.spec.manager if person.spec else None
            issuer, suffix = self._standing_name(
                manager.split(":")[0] if manager else person.branch
            )
            # Most are recent (planning review, 2026); about a quarter are older than six months.
            recent = rng.random() < 0.75
            records.append(
                PoliticalStandardConclusion(
                    cadre=person.cadre,
                    concluded_on=_day(rng, dt.date(2026, 6, 1), dt.date(2026, 10, 30))
                    if recent
                    else _day(rng, dt.date(2025, 3, 3), dt.date(2026, 4, 30)),
                    outcome=PoliticalStandardOutcome.MEETS,
                    issued_by=issuer,
                    reference=f"{self._next_ref()}-KL/{suffix}",
                )
            )
        PoliticalStandardConclusion.objects.bulk_create(records)

    def _save_discipline_and_cases(self, planned) -> None:
        rng = self.rng
        ordinary = [p for p in self.people if p.demo is None and p.party_admission_date]
        disciplined = rng.sample([p for p in ordinary if p.level <= PL.DISTRICT_HEAD], 5)
        dates = (
            dt.date(2022, 5, 10),
            dt.date(2023, 11, 20),
            dt.date(2024, 8, 15),
            dt.date(2025, 3, 12),
            dt.date(2026, 2, 26),
        )
        kinds = (
            DisciplineKind.REPRIMAND,
            DisciplineKind.WARNING,
            DisciplineKind.REPRIMAND,
            DisciplineKind.REPRIMAND,
            DisciplineKind.WARNING,
        )
        records = []
        for index, person in enumerate(disciplined):
            suffix = "TU" if person.branch == "province" else _DISTRICT_BY_KEY[person.branch].ref
            records.append(
                DisciplineRecord(
                    cadre=person.cadre,
                    kind=kinds[index],
                    effective_on=dates[index],
                    decision_ref=f"{self._next_ref()}-QĐ/UBKT{suffix}",
                    reason=DISCIPLINE_REASONS[index],
                )
            )
        DisciplineRecord.objects.bulk_create(records)

        # Open cases on cadres in planning, so the gates have something to stop.
        in_planning = [p for p in ordinary if id(p) in planned and p not in disciplined]
        targets = rng.sample(in_planning, 4)
        cases = [
            InvestigationCase(
                cadre=targets[0].cadre,
                kind=InvestigationKind.DISCIPLINARY_REVIEW,
                opened_on=dt.date(2026, 9, 15),
                note="Xem xét trách nhiệm liên quan đến sai phạm trong bồi thường, giải phóng "
                "mặt bằng dự án khu dân cư.",
            ),
            InvestigationCase(
                cadre=targets[1].cadre,
                kind=InvestigationKind.INSPECTION,
                opened_on=dt.date(2026, 8, 3),
                note="Ủy ban Kiểm tra kiểm tra khi có dấu hiệu vi phạm trong thực hiện nhiệm vụ "
                "được giao và kê khai tài sản, thu nhập.",
            ),
            InvestigationCase(
                cadre=targets[2].cadre,
                kind=InvestigationKind.INVESTIGATION,
                opened_on=dt.date(2026, 6, 22),
                note="Cơ quan Cảnh sát điều tra Công an tỉnh đang điều tra vụ án vi phạm quy "
                "định về đấu thầu tại đơn vị do đồng chí phụ trách.",
            ),
            InvestigationCase(
                cadre=targets[3].cadre,
                kind=InvestigationKind.INSPECTION,
                opened_on=dt.date(2024, 3, 4),
                closed_on=dt.date(2024, 7, 30),
                note="Kiểm tra khi có dấu hiệu vi phạm; kết luận không vi phạm.",
            ),
        ]
        InvestigationCase.objects.bulk_create(cases)
        # The cadre under criminal investigation no longer meets the political standard.
        issuer, suffix = self._standing_name(targets[2].branch)
        PoliticalStandardConclusion.objects.create(
            cadre=targets[2].cadre,
            concluded_on=dt.date(2026, 7, 10),
            outcome=PoliticalStandardOutcome.DOES_NOT_MEET,
            issued_by=issuer,
            reference=f"{self._next_ref()}-KL/{suffix}",
        )
