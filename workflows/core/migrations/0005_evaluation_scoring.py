"""Parameters that did not exist before: the evaluation's score bands and criteria groups
(domain §3.3).

- ``evaluation_score_bands`` = {"excellent": 90, "good": 70, "completed": 50}: the lowest total
  (100-point scale) of each rating level; below ``completed`` is "did not complete tasks".
  QĐ 366 [48][49] (≥ 90 / 70–< 90 / 50–< 70); NĐ 335 [51] verifies only "< 50 = not completed"
  for the state track.
- ``evaluation_criteria_points`` = {group code: most points}, adding up to 100. QĐ 366 quantifies
  "criteria groups" on the 100-point scale [48][49][50] but the split could not be read: the
  default (general criteria — politics, ethics, lifestyle, discipline — 30; results of the
  assigned duties 70) is a design default, ``unverified`` everywhere.

Both keys are added to every version of the three shipped rule-sets, including versions already
in use: the rule-set trigger forbids changing a parameter of a rule-set in use, but these never
existed, so nothing that ran under those versions read a different value. The inserts run with
that trigger ignored, for this migration only.
"""

import pgtrigger
from django.db import migrations, models

BANDS = {"excellent": 90, "good": 70, "completed": 50}
CRITERIA = {"general": 30, "tasks": 70}
CRITERIA_NOTE = "Design default: the split of QĐ 366's criteria groups could not be read."

PARAMETERS = {
    "qd80-2022": [
        (
            "evaluation_score_bands",
            BANDS,
            "QĐ 366-QĐ/TW (2025) [48][49]; QĐ 124 rated by criteria, not points [44]",
            True,
            "",
        ),
        ("evaluation_criteria_points", CRITERIA, "QĐ 366 [48][49][50]", True, CRITERIA_NOTE),
    ],
    "qd377-2025": [
        ("evaluation_score_bands", BANDS, "QĐ 366-QĐ/TW (2025) [48][49]", False, ""),
        ("evaluation_criteria_points", CRITERIA, "QĐ 366 [48][49][50]", True, CRITERIA_NOTE),
    ],
    "nd170-2025": [
        (
            "evaluation_score_bands",
            BANDS,
            "NĐ 335/2025/NĐ-CP [51] (< 50 verified; upper bands follow QĐ 366 [48][49])",
            True,
            "",
        ),
        ("evaluation_criteria_points", CRITERIA, "NĐ 335/2025 [51]", True, CRITERIA_NOTE),
    ],
}


def load(apps, schema_editor):
    RuleSet = apps.get_model("core", "RuleSet")
    RuleParameter = apps.get_model("core", "RuleParameter")
    with pgtrigger.ignore("core.RuleParameter:parameter_read_only_in_use"):
        for code, parameters in PARAMETERS.items():
            for ruleset in RuleSet.objects.filter(code=code):
                for key, value, citation, unverified, note in parameters:
                    RuleParameter.objects.get_or_create(
                        ruleset=ruleset,
                        key=key,
                        defaults={
                            "value": value,
                            "citation": citation,
                            "unverified": unverified,
                            "note": note,
                        },
                    )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_planning_structure")]

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
                    ("evaluation_score_bands", "Evaluation: lowest score of each rating level"),
                    ("evaluation_criteria_points", "Evaluation: criteria groups and points"),
                ],
                max_length=50,
                verbose_name="parameter",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
