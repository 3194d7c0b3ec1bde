"""A parameter that did not exist before: the planning structure targets (domain §4.2 Q5).

``planning_structure`` = {"young_under": {level: age}, "young_percent", "women_percent"}: a
planned cadre is "young" below the age of their post's management level; the plan of a post
or a unit should count at least ``young_percent`` % young cadres and ``women_percent`` % women.
QĐ 50 [38] gives < 45 (central) and < 40 (province, district), 15 % and 25 %; the commune
threshold is not stated (the district value is used) and whether QĐ 377 keeps the targets
could not be read — hence ``unverified`` everywhere.

The key is added to every version of the three shipped rule-sets, including versions already
in use: the rule-set trigger forbids changing a parameter of a rule-set in use, but this one
never existed, so nothing that ran under those versions read a different value. The insert
runs with that trigger ignored, for this migration only.
"""

import pgtrigger
from django.db import migrations, models

YOUNG = {"central": 45, "province": 40, "district": 40, "commune": 40}
VALUE = {"young_under": YOUNG, "young_percent": 15, "women_percent": 25}
NOTE = "Commune threshold not stated in the source: the district value (40) is used."

PARAMETERS = {
    "qd80-2022": (VALUE, "QĐ 50-QĐ/TW (2021) [38] Q5"),
    "qd377-2025": (VALUE, "QĐ 50-QĐ/TW [38] Q5; QĐ 377 text not read"),
    "nd170-2025": (VALUE, "QĐ 50-QĐ/TW [38] Q5 (Party planning rule, applied to the state track)"),
}
KEY = "planning_structure"


def load(apps, schema_editor):
    RuleSet = apps.get_model("core", "RuleSet")
    RuleParameter = apps.get_model("core", "RuleParameter")
    with pgtrigger.ignore("core.RuleParameter:parameter_read_only_in_use"):
        for code, (value, citation) in PARAMETERS.items():
            for ruleset in RuleSet.objects.filter(code=code):
                RuleParameter.objects.get_or_create(
                    ruleset=ruleset,
                    key=KEY,
                    defaults={
                        "value": value,
                        "citation": citation,
                        "unverified": True,
                        "note": NOTE,
                    },
                )


class Migration(migrations.Migration):
    dependencies = [("core", "0003_meeting_place_deadline")]

    operations = [
        migrations.AlterField(
            model_name="ruleparameter",
            name="key",
            field=models.CharField(
                choices=[
                    ("quorum", "Quorum (share of those summoned present)"),
                    ("nomination_denominator", "Nomination ballot: denominator"),
                    ("approval_denominator", "Collective decision: denominator"),
                    ("confidence_denominator", "Confidence ballot: denominator"),
                    ("tie_rule", "Exactly 50 % in a collective decision"),
                    ("carry_forward", "Nobody passes a nomination: how many go forward"),
                    ("sealed_meetings", "Meetings whose results are sealed"),
                    ("confidence_low_bars", "Confidence ballot: low-confidence bars"),
                    ("discipline_cooling_off_months", "Discipline cooling-off (months)"),
                    ("full_term_years", "Years of service left for a full term"),
                    ("min_years_in_post", "Years in the current post"),
                    (
                        "political_standard_validity_months",
                        "Validity of a political-standard conclusion (months)",
                    ),
                    (
                        "appointment_deadline_working_days",
                        "Appointment: policy approval to decision (working days)",
                    ),
                    ("reappointment_notice", "Re-appointment notice before term end"),
                    ("planning_caps", "Planning caps"),
                    ("excellent_quota_percent_of_good", "'Excellent' quota (% of 'good')"),
                    ("rotation_min_service_years", "Rotation: service years left"),
                    ("rotation_min_duration_months", "Rotation: minimum duration"),
                    ("planning_structure", "Planning: structure targets (young, women)"),
                ],
                max_length=50,
                verbose_name="parameter",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
