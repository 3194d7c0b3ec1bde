"""The data sizes the generator builds (issue #9, "Data").

``large`` is what the issue asks for; ``medium`` is a fifth of it and ``small`` a fiftieth; ``tiny``
is for the test suite. Counts of cadres, procedures, workflow tasks and audit events are built
exactly; meetings are at least the figure asked (every meeting step of a procedure has its own
meeting, as the services create them, and standalone meetings make up any shortfall).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Size:
    name: str
    cadres: int
    procedures: int
    tasks: int
    meetings: int
    audit_events: int
    #: the organisation tree: districts under the province, communes per district, departments
    #: of the province (each district also has its five boards and offices)
    districts: int
    communes_per_district: int
    province_departments: int
    #: meetings in session with an open electronic ballot, per standing committee of the
    #: province and of each district (what the load test casts ballots in)
    open_ballots_per_body: int

    def scaled(self, factor: float, name: str | None = None) -> Size:
        """This size with every count multiplied by ``factor`` (the tree stays as it is)."""
        return replace(
            self,
            name=name or f"{self.name}x{factor:g}",
            cadres=max(60, round(self.cadres * factor)),
            procedures=max(40, round(self.procedures * factor)),
            tasks=max(400, round(self.tasks * factor)),
            meetings=max(4, round(self.meetings * factor)),
            audit_events=max(500, round(self.audit_events * factor)),
        )


LARGE = Size(
    name="large",
    cadres=50_000,
    procedures=100_000,
    tasks=1_000_000,
    meetings=10_000,
    audit_events=1_000_000,
    districts=12,
    communes_per_district=18,
    province_departments=18,
    open_ballots_per_body=6,
)
MEDIUM = replace(
    LARGE.scaled(1 / 5, "medium"),
    districts=8,
    communes_per_district=10,
    province_departments=12,
    open_ballots_per_body=4,
)
SMALL = replace(
    LARGE.scaled(1 / 50, "small"),
    districts=4,
    communes_per_district=5,
    province_departments=7,
    open_ballots_per_body=3,
)
TINY = Size(
    name="tiny",
    cadres=240,
    procedures=120,
    tasks=1_200,
    meetings=12,
    audit_events=2_500,
    districts=2,
    communes_per_district=2,
    province_departments=3,
    open_ballots_per_body=2,
)

SIZES = {s.name: s for s in (TINY, SMALL, MEDIUM, LARGE)}
