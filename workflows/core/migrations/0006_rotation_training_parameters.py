"""Parameters that did not exist before: the rotation's health certificate and the conditions
for sending a cadre to post-graduate study (domain §5, §6).

- ``rotation_health_validity_months`` = 6: the health certificate in a rotation dossier is at
  most six months old. QĐ 727/QĐ-BNV [60] for the state track; the Party track (QĐ 65) asks for
  "sufficient health" without a form, so the same value is a design default there, unverified.
- ``training_postgraduate`` = {min_service_years, good_years, max_age, commitment_multiple}:
  NĐ 171/2025 [81] for the state track (3 years of service, the 2 preceding years rated "well
  completed" or better, at most 45 at the first post-graduate dispatch, a commitment to serve 3×
  the study time). Party rules on selecting cadres for study were not found: the 2025 Party
  rule-set carries NĐ 171's values, unverified; the 2022 one NĐ 101/2017's (40 years, 2×) [82],
  the rule of its time.

Both keys are added to every version of the three shipped rule-sets, including versions already
in use: the trigger forbids changing a parameter of a rule-set in use, but these never existed,
so nothing that ran under those versions read a different value (as in 0005).
"""

import pgtrigger
from django.db import migrations, models

HEALTH = ("rotation_health_validity_months", 6)
ND171 = {"min_service_years": 3, "good_years": 2, "max_age": 45, "commitment_multiple": 3}
ND101 = {"min_service_years": 3, "good_years": 2, "max_age": 40, "commitment_multiple": 2}
PARTY_NOTE = "Party rules on selecting cadres for study were not found; the state rule is used."
HEALTH_NOTE = "QĐ 65 asks for sufficient health; the six months are QĐ 727's (state track)."

PARAMETERS = {
    "qd80-2022": [
        (*HEALTH, "QĐ 65-QĐ/TW Art. 5 [57]; QĐ 727/QĐ-BNV [60]", True, HEALTH_NOTE),
        ("training_postgraduate", ND101, "NĐ 101/2017/NĐ-CP [82]", True, PARTY_NOTE),
    ],
    "qd377-2025": [
        (*HEALTH, "QĐ 65-QĐ/TW Art. 5 [57]; QĐ 727/QĐ-BNV [60]", True, HEALTH_NOTE),
        ("training_postgraduate", ND171, "NĐ 171/2025/NĐ-CP [81]", True, PARTY_NOTE),
    ],
    "nd170-2025": [
        (*HEALTH, "QĐ 727/QĐ-BNV [60]", False, ""),
        ("training_postgraduate", ND171, "NĐ 171/2025/NĐ-CP [81]", False, ""),
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

    dependencies = [
        ('core', '0005_evaluation_scoring'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ruleparameter',
            name='key',
            field=models.CharField(choices=[('quorum', 'Quorum (share of those summoned present)'), ('nomination_denominator', 'Nomination ballot: denominator'), ('approval_denominator', 'Collective decision: denominator'), ('confidence_denominator', 'Confidence ballot: denominator'), ('tie_rule', 'Exactly 50 % in a collective decision'), ('carry_forward', 'Nobody passes a nomination: how many go forward'), ('sealed_meetings', 'Meetings whose results are sealed'), ('confidence_low_bars', 'Confidence ballot: low-confidence bars'), ('discipline_cooling_off_months', 'Discipline cooling-off (months)'), ('full_term_years', 'Years of service left for a full term'), ('min_years_in_post', 'Years in the current post'), ('political_standard_validity_months', 'Validity of a political-standard conclusion (months)'), ('appointment_deadline_working_days', 'Appointment: policy approval to decision (working days)'), ('reappointment_notice', 'Re-appointment notice before term end'), ('planning_caps', 'Planning caps'), ('excellent_quota_percent_of_good', "'Excellent' quota (% of 'good')"), ('rotation_min_service_years', 'Rotation: service years left'), ('rotation_min_duration_months', 'Rotation: minimum duration'), ('planning_structure', 'Planning: structure targets (young, women)'), ('evaluation_score_bands', 'Evaluation: lowest score of each rating level'), ('evaluation_criteria_points', 'Evaluation: criteria groups and points'), ('rotation_health_validity_months', 'Rotation: validity of the health certificate (months)'), ('training_postgraduate', 'Training: post-graduate dispatch conditions')], max_length=50, verbose_name='parameter'),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
