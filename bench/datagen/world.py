"""The province the procedures run in: units, committees, people, posts and scope grants.

A province party committee with its departments, districts with their boards and offices, and
communes under each district (``OrgUnit`` paths as django-treebeard builds them). Every unit has
the collectives the procedures need: the province and each district a standing committee, an
executive committee, an organisation board and an inspection committee; each commune a standing
and an executive committee; each department a leadership collective. Committee members are
cadres of the unit with an account; the guardian grants are the ones ``scope_sync_for_user``
leaves (``access_unit`` on the committee's unit, ``view_committee`` on the committee,
``chair_committee`` for chairs).

Which people are the load test's logins (``bench-user-NNNN``): every member of an organisation
board or a standing committee of the province and the districts — they have tasks in their
queues and inboxes and ballots to cast.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from personnel.models import (
    CommitteeKind,
    EducationLevel,
    ManagementLevel,
    MembershipRole,
    OrgUnit,
    PoliticalTheoryLevel,
    PositionLevel,
    StateManagementLevel,
    UnitKind,
)

from . import names
from .clock import Clock
from .loader import Loader

CHAIR, DEPUTY, MEMBER = MembershipRole.CHAIR, MembershipRole.DEPUTY, MembershipRole.MEMBER
PL = PositionLevel

#: a post's term in years (``Position.term_years``; a holding's term ends that much later)
TERM_YEARS = 5
#: when every committee's current membership began (before the history the procedures span)
MEMBERSHIPS_FROM = dt.date(2020, 10, 1)

#: relative number of people working in each kind of unit
_WEIGHT = {
    "province": 300,
    "province_dept": 600,
    "district": 150,
    "district_dept": 80,
    "commune": 80,
}

#: nominal committee sizes (smaller when the unit has few people)
_COMMITTEES = {
    "province": (
        (CommitteeKind.STANDING, "Ban Thường vụ Tỉnh ủy", 13),
        (CommitteeKind.EXECUTIVE, "Ban Chấp hành Đảng bộ tỉnh", 45),
        (CommitteeKind.ORGANISATION_BOARD, "Ban Tổ chức Tỉnh ủy", 7),
        (CommitteeKind.INSPECTION, "Ủy ban Kiểm tra Tỉnh ủy", 7),
    ),
    "district": (
        (CommitteeKind.STANDING, "Ban Thường vụ {uy} {short}", 9),
        (CommitteeKind.EXECUTIVE, "Ban Chấp hành Đảng bộ {kw} {short}", 25),
        (CommitteeKind.ORGANISATION_BOARD, "Ban Tổ chức {uy} {short}", 5),
        (CommitteeKind.INSPECTION, "Ủy ban Kiểm tra {uy} {short}", 5),
    ),
    "commune": (
        (CommitteeKind.STANDING, "Ban Thường vụ Đảng ủy {name}", 5),
        (CommitteeKind.EXECUTIVE, "Ban Chấp hành Đảng bộ {name}", 13),
    ),
    "province_dept": ((CommitteeKind.LEADERSHIP, "Tập thể lãnh đạo {name}", 5),),
    "district_dept": ((CommitteeKind.LEADERSHIP, "Tập thể lãnh đạo {name}", 4),),
}


@dataclass(eq=False)
class Committee:
    id: int
    unit: Unit
    kind: str
    name: str
    members: list[tuple[int, str]] = field(default_factory=list)  # (user id, role), chair first

    @property
    def chair(self) -> int:
        return self.members[0][0]

    @property
    def user_ids(self) -> list[int]:
        return [u for u, _ in self.members]


@dataclass(eq=False)
class Position:
    id: int
    unit: Unit
    title: str
    level: int
    seats: int
    managing: Committee | None


@dataclass(eq=False)
class Unit:
    id: int
    path: str
    name: str
    code: str
    kind: str
    management_level: str
    role: str  # province | province_dept | district | district_dept | commune
    parent: Unit | None
    short: str = ""
    children: list[Unit] = field(default_factory=list)
    committees: dict[str, Committee] = field(default_factory=dict)
    cadres: list[int] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.path) // OrgUnit.steplen

    def up(self):
        unit = self
        while unit is not None:
            yield unit
            unit = unit.parent

    def nearest(self, kind: str, *, include_self: bool = True) -> Committee | None:
        for unit in self.up():
            if unit is self and not include_self:
                continue
            if kind in unit.committees:
                return unit.committees[kind]
        return None

    @property
    def board(self) -> Committee:
        """The organisation board whose staff act for this unit (its own or the nearest above)."""
        return self.nearest(CommitteeKind.ORGANISATION_BOARD)

    @property
    def standing(self) -> Committee | None:
        return self.committees.get(CommitteeKind.STANDING)

    def subtree(self):
        yield self
        for child in self.children:
            yield from child.subtree()


class Cadre:
    __slots__ = ("id", "unit", "name", "gender", "born", "user_id", "ethnicity")

    def __init__(self, id, unit, name, gender, born, ethnicity):
        self.id, self.unit, self.name = id, unit, name
        self.gender, self.born, self.ethnicity = gender, born, ethnicity
        self.user_id = None


class World:
    """Everything later phases refer to, kept in memory as plain objects."""

    def __init__(self, *, size, rng: random.Random, clock: Clock, loader: Loader, password: str):
        self.size = size
        self.rng = rng
        self.clock = clock
        self.loader = loader
        self.password = password
        self.units: list[Unit] = []
        self.committees: list[Committee] = []
        self.positions: list[Position] = []
        self.cadres: list[Cadre] = []
        self.cadre_by_id: dict[int, Cadre] = {}
        self.user_names: dict[int, tuple[str, str]] = {}  # user id -> (username, full name)
        self.bench_users: list[int] = []
        self.province: Unit | None = None

    # ----------------------------------------------------------------- building

    def build(self) -> None:
        self._units()
        self._cadres()
        self._committees_and_users()
        self._positions()
        self._grants()

    def _units(self) -> None:
        rng, size, loader = self.rng, self.size, self.loader
        table = loader.table(
            "personnel_orgunit",
            ["id", "path", "depth", "numchild", "name", "code", "kind", "management_level"],
        )
        loader.cursor.execute("SELECT count(*) FROM personnel_orgunit WHERE depth = 1")
        roots = loader.cursor.fetchone()[0]
        prefix = f"bench-{table.last_id + 1}"
        communes = names.commune_names(rng)

        def add(name, code, kind, level, role, parent=None, short=""):
            if parent is None:
                path = OrgUnit._get_path(None, 1, roots + 1)
            else:
                path = OrgUnit._get_path(parent.path, parent.depth + 1, len(parent.children) + 1)
            unit = Unit(table.new_id(), path, name, code, kind, level, role, parent, short)
            if parent is not None:
                parent.children.append(unit)
            self.units.append(unit)
            return unit

        P = ManagementLevel.PROVINCE
        D = ManagementLevel.DISTRICT
        province = add(names.PROVINCE, f"{prefix}-tinh", UnitKind.PROVINCE_PARTY, P, "province")
        province.short = names.PROVINCE_SHORT
        self.province = province
        for i, (name, kind) in enumerate(names.PROVINCE_DEPARTMENTS[: size.province_departments]):
            add(name, f"{prefix}-tinh-{i + 1}", kind, P, "province_dept", province)
        for d in range(size.districts):
            short = names.DISTRICT_NAMES[d % len(names.DISTRICT_NAMES)]
            city = d % 5 == 0
            label = f"{'Thành phố' if city else 'Huyện'} {short}"
            if d >= len(names.DISTRICT_NAMES):
                short, label = f"{short} {d // len(names.DISTRICT_NAMES) + 1}", f"{label} {d + 1}"
            district = add(
                label, f"{prefix}-h{d + 1}", UnitKind.DISTRICT_PARTY, P, "district", province, short
            )
            uy, kw = ("Thành ủy", "thành phố") if city else ("Huyện ủy", "huyện")
            for j, (pattern, kind) in enumerate(names.DISTRICT_DEPARTMENTS):
                add(
                    pattern.format(uy=uy, kw=kw, short=short),
                    f"{prefix}-h{d + 1}-p{j + 1}",
                    kind,
                    D,
                    "district_dept",
                    district,
                )
            for c in range(size.communes_per_district):
                word = "Phường" if city and c % 3 else "Xã"
                add(
                    f"{word} {next(communes)}",
                    f"{prefix}-h{d + 1}-x{c + 1}",
                    UnitKind.COMMUNE_PARTY,
                    D,
                    "commune",
                    district,
                )
        for unit in self.units:
            table.add(
                unit.id,
                unit.path,
                unit.depth,
                len(unit.children),
                unit.name,
                unit.code,
                unit.kind,
                unit.management_level,
            )
        table.flush()

    def _cadres(self) -> None:
        rng, clock = self.rng, self.clock
        table = self.loader.table(
            "personnel_cadre",
            [
                "id",
                "full_name",
                "date_of_birth",
                "gender",
                "ethnicity",
                "home_town",
                "party_admission_date",
                "education_level",
                "political_theory_level",
                "state_management_level",
                "unit_id",
                "user_id",
            ],
        )
        weights = [_WEIGHT[u.role] for u in self.units]
        total = sum(weights)
        # Every unit gets its share (at least a handful), the remainder goes by weight.
        shares = [max(4, self.size.cadres * w // total) for w in weights]
        while sum(shares) > self.size.cadres:
            shares[shares.index(max(shares))] -= 1
        for _ in range(self.size.cadres - sum(shares)):
            shares[rng.choices(range(len(shares)), weights)[0]] += 1
        today = clock.today
        self._pending_cadre_rows = []
        for unit, count in zip(self.units, shares, strict=True):
            district = next((u for u in unit.up() if u.role == "district"), None)
            commune = unit.name if unit.role == "commune" else None
            for _ in range(count):
                gender = "F" if rng.random() < 0.38 else "M"
                ethnicity = names.ETHNICITY.pick(rng)
                family, given = names.person_name(rng, gender, ethnicity)
                age = rng.triangular(24, 58, 44)
                born = today - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
                cadre = Cadre(table.new_id(), unit, f"{family} {given}", gender, born, ethnicity)
                cadre.user_id = None
                self.cadres.append(cadre)
                self.cadre_by_id[cadre.id] = cadre
                unit.cadres.append(cadre.id)
                admitted = None
                if rng.random() < 0.85:
                    admitted = born + dt.timedelta(days=int(rng.uniform(21, min(age, 40)) * 365.25))
                    admitted = min(admitted, today - dt.timedelta(days=30))
                education = rng.choices(
                    [
                        EducationLevel.COLLEGE,
                        EducationLevel.BACHELOR,
                        EducationLevel.MASTER,
                        EducationLevel.DOCTOR,
                    ],
                    [8, 62, 27, 3],
                )[0]
                theory = rng.choices(list(PoliticalTheoryLevel.values), [10, 25, 40, 25])[0]
                management = rng.choices(list(StateManagementLevel.values), [25, 45, 22, 8])[0]
                self._pending_cadre_rows.append(
                    [
                        cadre.id,
                        cadre.name,
                        born,
                        gender,
                        ethnicity,
                        names.home_town(rng, commune, district.name if district else None),
                        admitted,
                        int(education),
                        int(theory),
                        int(management),
                        unit.id,
                    ]
                )

    def _committees_and_users(self) -> None:
        rng = self.rng
        ctable = self.loader.table(
            "personnel_committee", ["id", "name", "kind", "term_start", "term_end", "unit_id"]
        )
        mtable = self.loader.table(
            "personnel_committeemembership",
            ["id", "role", "started_on", "ended_on", "committee_id", "user_id"],
        )
        utable = self.loader.table(
            "personnel_user",
            [
                "id",
                "password",
                "last_login",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "language",
            ],
        )
        account: dict[int, int] = {}  # cadre id -> user id

        def user_of(cadre_id: int) -> int:
            if cadre_id not in account:
                account[cadre_id] = utable.new_id()
                self.cadre_by_id[cadre_id].user_id = account[cadre_id]
            return account[cadre_id]

        by_role = {}
        for unit in self.units:
            by_role.setdefault(unit.role, []).append(unit)
        for unit in self.units:
            specs = _COMMITTEES[unit.role]
            city = unit.role == "district" and unit.name.startswith("Thành phố")
            fmt = {
                "name": unit.name,
                "short": unit.short,
                "uy": "Thành ủy" if city else "Huyện ủy",
                "kw": "thành phố" if city else "huyện",
            }
            # Who can sit on the unit's bodies: its own people and its departments' heads.
            pool = list(unit.cadres)
            for child in unit.children:
                if child.role.endswith("_dept"):
                    pool.extend(child.cadres[:3])
            chosen = rng.sample(pool, len(pool))
            standing_people: list[int] = []
            for kind, pattern, nominal in specs:
                count = max(3, min(nominal, len(pool) * 2 // 3))
                committee = Committee(ctable.new_id(), unit, kind, pattern.format(**fmt))
                if kind == CommitteeKind.EXECUTIVE:
                    people = standing_people + [c for c in chosen if c not in standing_people]
                elif kind in (CommitteeKind.ORGANISATION_BOARD, CommitteeKind.INSPECTION):
                    # Staff of the board or the inspection office, not the unit's leaders; the
                    # head of the organisation board also sits on the standing committee.
                    staff = [c for c in chosen if c not in standing_people]
                    people = rng.sample(staff, min(len(staff), count))
                    if standing_people and kind == CommitteeKind.ORGANISATION_BOARD:
                        people.insert(0, standing_people[-1])
                else:
                    people = chosen
                members = list(dict.fromkeys(people))[:count]
                if kind == CommitteeKind.STANDING:
                    standing_people = members
                for i, cadre_id in enumerate(members):
                    role = CHAIR if i == 0 else DEPUTY if i <= (1 if count < 9 else 2) else MEMBER
                    committee.members.append((user_of(cadre_id), role))
                unit.committees[kind] = committee
                self.committees.append(committee)
        # Plain cadres with an account (self-assessments, their own record): about a quarter.
        for cadre in self.cadres:
            if cadre.user_id is None and rng.random() < 0.25:
                user_of(cadre.id)
        # Logins for the load test: org boards and standing committees of province and districts.
        bench = []
        for unit in [self.province, *by_role.get("district", [])]:
            for kind in (CommitteeKind.ORGANISATION_BOARD, CommitteeKind.STANDING):
                for user_id in unit.committees[kind].user_ids:
                    if user_id not in bench:
                        bench.append(user_id)
        self.bench_users = bench
        bench_number = {u: i + 1 for i, u in enumerate(bench)}
        # ---- rows
        for row in self._pending_cadre_rows:
            cadre = self.cadre_by_id[row[0]]
            self.loader.tables["personnel_cadre"].add(*row, cadre.user_id)
        del self._pending_cadre_rows
        joined = self.clock.aware(MEMBERSHIPS_FROM)
        for cadre_id, user_id in sorted(account.items(), key=lambda kv: kv[1]):
            cadre = self.cadre_by_id[cadre_id]
            family, _sep, given = cadre.name.rpartition(" ")
            number = bench_number.get(user_id)
            username = f"bench-user-{number:04d}" if number else f"canbo-{user_id:06d}"
            self.user_names[user_id] = (username, cadre.name)
            utable.add(
                user_id,
                self.password,
                None,
                False,
                username,
                given,
                family,
                f"{username}@bench.cadreflow.invalid",
                False,
                True,
                joined,
                "vi",
            )
        for committee in self.committees:
            ctable.add(
                committee.id,
                committee.name,
                committee.kind,
                MEMBERSHIPS_FROM,
                None,
                committee.unit.id,
            )
            for user_id, role in committee.members:
                mtable.add(mtable.new_id(), role, MEMBERSHIPS_FROM, None, committee.id, user_id)
        self.cadre_of_user = {u: c for c, u in account.items()}

    def _positions(self) -> None:
        table = self.loader.table(
            "personnel_position",
            [
                "id",
                "title",
                "level",
                "seats",
                "term_years",
                "min_political_theory",
                "min_education",
                "min_state_management",
                "managing_committee_id",
                "unit_id",
            ],
        )
        province = self.province
        pstanding = province.standing

        def add(unit, title, level, seats=1, managing=None):
            position = Position(table.new_id(), unit, title, int(level), seats, managing)
            unit.positions.append(position)
            self.positions.append(position)

        add(province, "Bí thư Tỉnh ủy", PL.PROVINCE_HEAD)
        add(province, "Phó Bí thư Thường trực Tỉnh ủy", PL.PROVINCE_DEPUTY)
        add(province, "Chủ tịch UBND tỉnh", PL.PROVINCE_HEAD)
        add(province, "Phó Chủ tịch UBND tỉnh", PL.PROVINCE_DEPUTY, 3)
        for unit in self.units:
            if unit.role in ("province_dept", "district_dept"):
                head, deputy = {
                    UnitKind.STATE_AGENCY: ("Giám đốc", "Phó Giám đốc"),
                    UnitKind.PARTY_AGENCY: ("Trưởng", "Phó Trưởng"),
                    UnitKind.MASS_ORGANISATION: ("Chủ tịch", "Phó Chủ tịch"),
                }[unit.kind]
                if unit.role == "district_dept" and unit.kind == UnitKind.STATE_AGENCY:
                    head, deputy = "Trưởng", "Phó Trưởng"
                province_level = unit.role == "province_dept"
                managing = pstanding if province_level else unit.parent.standing
                add(
                    unit,
                    f"{head} {unit.name}",
                    PL.PROVINCE_OFFICE_HEAD if province_level else PL.DISTRICT_OFFICE_HEAD,
                    1,
                    managing,
                )
                add(
                    unit,
                    f"{deputy} {unit.name}",
                    PL.PROVINCE_OFFICE_DEPUTY if province_level else PL.DISTRICT_OFFICE_DEPUTY,
                    3 if province_level else 2,
                    managing,
                )
            elif unit.role == "district":
                uy = "Thành ủy" if unit.name.startswith("Thành phố") else "Huyện ủy"
                kw = "thành phố" if unit.name.startswith("Thành phố") else "huyện"
                add(unit, f"Bí thư {uy} {unit.short}", PL.DISTRICT_HEAD, 1, pstanding)
                add(unit, f"Phó Bí thư {uy} {unit.short}", PL.DISTRICT_DEPUTY, 1, pstanding)
                add(unit, f"Chủ tịch UBND {kw} {unit.short}", PL.DISTRICT_HEAD, 1, pstanding)
                add(unit, f"Phó Chủ tịch UBND {kw} {unit.short}", PL.DISTRICT_DEPUTY, 2, pstanding)
            elif unit.role == "commune":
                managing = unit.parent.standing
                add(unit, f"Bí thư Đảng ủy {unit.name}", PL.COMMUNE_HEAD, 1, managing)
                add(unit, f"Phó Bí thư Đảng ủy {unit.name}", PL.COMMUNE_DEPUTY, 1, managing)
                add(unit, f"Chủ tịch UBND {unit.name}", PL.COMMUNE_HEAD, 1, managing)
                add(unit, f"Phó Chủ tịch UBND {unit.name}", PL.COMMUNE_DEPUTY, 2, managing)
        for p in self.positions:
            high = p.level >= PL.DISTRICT_DEPUTY
            table.add(
                p.id,
                p.title,
                p.level,
                p.seats,
                TERM_YEARS,
                int(PoliticalTheoryLevel.ADVANCED if high else PoliticalTheoryLevel.INTERMEDIATE),
                int(EducationLevel.BACHELOR),
                int(
                    StateManagementLevel.PRINCIPAL_SPECIALIST if high else StateManagementLevel.NONE
                ),
                p.managing.id if p.managing else None,
                p.unit.id,
            )

    def _grants(self) -> None:
        """The grants ``scope_sync_for_user`` leaves for every active membership."""
        self.loader.sync()  # the ORM shares the connection with the COPY writer
        unit_ct = ContentType.objects.get(app_label="personnel", model="orgunit")
        committee_ct = ContentType.objects.get(app_label="personnel", model="committee")
        access = Permission.objects.get(content_type=unit_ct, codename="access_unit").pk
        view = Permission.objects.get(content_type=committee_ct, codename="view_committee").pk
        chair = Permission.objects.get(content_type=committee_ct, codename="chair_committee").pk
        units = self.loader.table(
            "personnel_orgunituserobjectpermission",
            ["id", "content_object_id", "permission_id", "user_id"],
        )
        committees = self.loader.table(
            "personnel_committeeuserobjectpermission",
            ["id", "content_object_id", "permission_id", "user_id"],
        )
        granted = set()
        for committee in self.committees:
            for user_id, role in committee.members:
                if (user_id, committee.unit.id) not in granted:
                    granted.add((user_id, committee.unit.id))
                    units.add(units.new_id(), committee.unit.id, access, user_id)
                committees.add(committees.new_id(), committee.id, view, user_id)
                if role == CHAIR:
                    committees.add(committees.new_id(), committee.id, chair, user_id)

    # ----------------------------------------------------------------- reading

    def units_of(self, role: str) -> list[Unit]:
        return [u for u in self.units if u.role == role]
