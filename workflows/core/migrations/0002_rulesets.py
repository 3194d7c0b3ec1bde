"""The rule-sets in force or still governing running procedures (domain/procedures.md §0, §2,
§10). Every parameter carries its source; `unverified` marks wording that could not be read in
the regulation itself (the ❓ and ⚠️ items) and must stay configurable."""

import datetime as dt

from django.db import migrations

Q = {"numerator": 2, "denominator": 3}
BARS = {
    "not_considered": {"numerator": 1, "denominator": 2},
    "dismissal": {"numerator": 2, "denominator": 3},
}

RULESETS = [
    {
        "code": "qd80-2022",
        "title": "Quy định 80-QĐ/TW (2022) — Đảng",
        "track": "party",
        "citation": "Quy định 80-QĐ/TW ngày 18/8/2022 của Bộ Chính trị (thay thế bởi QĐ 377-QĐ/TW "
        "từ 08/10/2025; còn áp dụng cho quy trình bắt đầu trước đó)",
        "effective_from": dt.date(2022, 8, 18),
        "parameters": [
            ("quorum", Q, "QĐ 80 Art. 21(1) [12]", False),
            (
                "nomination_denominator",
                "summoned",
                "pattern of NĐ 138 Art. 46 [21], Dir. 35 [78]",
                True,
            ),
            (
                "approval_denominator",
                "collective_total",
                "NĐ 138 external source [22][23] (state)",
                True,
            ),
            ("confidence_denominator", "valid_ballots", "QĐ 96 (2023) [64][65]", True),
            ("tie_rule", "head_decides", "NĐ 138 [22][23]; Party equivalent not read", True),
            ("carry_forward", 2, "QĐ 105 (2017) [18]; QĐ 80 Art. 21 excerpt cut [12]", True),
            (
                "sealed_meetings",
                ["expanded_collective", "key_officials"],
                "QĐ 80 [12] (M5, I-5)",
                False,
            ),
            ("confidence_low_bars", BARS, "QĐ 96 [64][65] (2018 rule wording)", True),
            (
                "discipline_cooling_off_months",
                {"reprimand": 12, "warning": 30, "removal": 60},
                "QĐ 80 Art. 18 [16]",
                False,
            ),
            ("full_term_years", 5, "HD 06-HD/BTCTW (2021) [19]", False),
            ("min_years_in_post", 2, "QĐ 80 Art. 18 [16]", False),
            (
                "political_standard_validity_months",
                6,
                "HD 19-HD/BTCTW as applied in HCMC [71]",
                True,
            ),
            ("appointment_deadline_working_days", 30, "QĐ 80 [14]", False),
            ("reappointment_notice", {"days": 90, "working_days": False}, "QĐ 80 [17]", False),
            ("planning_caps", {"per_position": 3, "per_cadre": 3}, "QĐ 50-QĐ/TW (2021) [38]", True),
            ("excellent_quota_percent_of_good", 20, "QĐ 124 (collectives) [44]", True),
            ("rotation_min_service_years", 10, "QĐ 65-QĐ/TW Art. 5 [55][57]", False),
            ("rotation_min_duration_months", 36, "QĐ 65-QĐ/TW [55][57]", False),
        ],
    },
    {
        "code": "qd377-2025",
        "title": "Quy định 377-QĐ/TW (2025) — Đảng",
        "track": "party",
        "citation": "Quy định 377-QĐ/TW ngày 08/10/2025 của Bộ Chính trị về phân cấp quản lý cán "
        "bộ và quy hoạch, bổ nhiệm, giới thiệu ứng cử, ... (thay thế QĐ 80, QĐ 50, QĐ 41)",
        "effective_from": dt.date(2025, 10, 8),
        "parameters": [
            ("quorum", Q, "QĐ 80 Art. 21(1) [12]; QĐ 377 text not read", True),
            ("nomination_denominator", "summoned", "pattern of NĐ 138 [21], Dir. 35 [78]", True),
            ("approval_denominator", "collective_total", "NĐ 138 [22][23] (state)", True),
            ("confidence_denominator", "valid_ballots", "QĐ 96 (2023) [64][65]", True),
            ("tie_rule", "head_decides", "NĐ 138 [22][23]; Party equivalent not read", True),
            ("carry_forward", 2, "QĐ 105 [18]; QĐ 377 not read", True),
            (
                "sealed_meetings",
                ["expanded_collective", "key_officials"],
                "QĐ 80 [12], NĐ 170 [25][27]",
                True,
            ),
            ("confidence_low_bars", BARS, "QĐ 96 [64][65]", True),
            (
                "discipline_cooling_off_months",
                {"reprimand": 24, "warning": 36, "removal": 60},
                "QĐ 377 [5]",
                False,
            ),
            ("full_term_years", 5, "HD 06 [19]; QĐ 377 Art. 34 [3][4]", False),
            ("min_years_in_post", 2, "QĐ 377 Art. 34 [3][4]", True),
            ("political_standard_validity_months", 6, "HD 19 as applied in HCMC [71]", True),
            ("appointment_deadline_working_days", 30, "[14][24]", False),
            ("reappointment_notice", {"days": 90, "working_days": True}, "QĐ 377 [6]", False),
            ("planning_caps", {"per_position": 3, "per_cadre": 3}, "QĐ 377 [8]", False),
            (
                "excellent_quota_percent_of_good",
                20,
                "QĐ 366 (2025) individuals not read [44]",
                True,
            ),
            ("rotation_min_service_years", 10, "QĐ 65-QĐ/TW [55][57]", False),
            ("rotation_min_duration_months", 36, "QĐ 65-QĐ/TW [55][57]", False),
        ],
    },
    {
        "code": "nd170-2025",
        "title": "Nghị định 170/2025/NĐ-CP — Nhà nước",
        "track": "state",
        "citation": "Nghị định 170/2025/NĐ-CP (hiệu lực 01/7/2025), Điều 28–29, 33, 39, 46; thủ tục "
        "hành chính theo Quyết định 727/QĐ-BNV (2025)",
        "effective_from": dt.date(2025, 7, 1),
        "parameters": [
            ("quorum", Q, "NĐ 170 Art. 33(2) [25]", False),
            ("nomination_denominator", "summoned", "NĐ 138 Art. 46 [21]; NĐ 170 [26]", False),
            ("approval_denominator", "collective_total", "NĐ 138 [22][23][88]", False),
            ("confidence_denominator", "valid_ballots", "NĐ 170 Art. 39 [27]", True),
            ("tie_rule", "head_decides", "NĐ 138 [22][23]; NĐ 170 [26]", False),
            ("carry_forward", 2, "NĐ 138 Art. 46 [21]", False),
            (
                "sealed_meetings",
                ["expanded_collective", "key_officials"],
                "NĐ 170 [25][27] (M5, M8)",
                False,
            ),
            ("confidence_low_bars", BARS, "QĐ 96 [64][65]", True),
            (
                "discipline_cooling_off_months",
                {"reprimand": 24, "warning": 36, "removal": 60},
                "state: 'not in a discipline period' [33][93]; values follow QĐ 377",
                True,
            ),
            ("full_term_years", 5, "NĐ 170 Art. 28–29 [28]; [33][93]", False),
            ("min_years_in_post", 2, "24 months, viên chức [93][92]", False),
            ("political_standard_validity_months", 6, "HD 19 [71]", True),
            (
                "appointment_deadline_working_days",
                30,
                "QĐ 727 [31][32]; state policy ≤ 15 WD",
                True,
            ),
            (
                "reappointment_notice",
                {"days": 90, "working_days": False},
                "NĐ 170 Art. 39 [27]",
                False,
            ),
            ("planning_caps", {"per_position": 3, "per_cadre": 3}, "QĐ 377 [8] (Party)", True),
            ("excellent_quota_percent_of_good", 20, "NĐ 335/2025 [51]", False),
            ("rotation_min_service_years", 10, "QĐ 65 [55]; NĐ 170 Art. 46 [59]", True),
            ("rotation_min_duration_months", 36, "QĐ 65 [55][57]", True),
        ],
    },
]


def load(apps, schema_editor):
    RuleSet = apps.get_model("core", "RuleSet")
    RuleParameter = apps.get_model("core", "RuleParameter")
    for spec in RULESETS:
        params = spec["parameters"]
        fields = {k: v for k, v in spec.items() if k != "parameters"}
        ruleset, _ = RuleSet.objects.get_or_create(
            code=fields.pop("code"), version=1, defaults=fields
        )
        for key, value, citation, unverified in params:
            RuleParameter.objects.get_or_create(
                ruleset=ruleset,
                key=key,
                defaults={"value": value, "citation": citation, "unverified": unverified},
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
