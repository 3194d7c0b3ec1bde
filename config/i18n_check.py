"""CI check: the catalogues hold every translatable string of the code, all translated.

    python -m config.i18n_check            # check (CI)
    python -m config.i18n_check --update   # refresh the catalogues in place, fill English,
                                           # and list the Vietnamese entries still to translate

Runs `makemessages` on a scratch copy of the tree (needs GNU gettext), compares its message ids
with the committed `locale/<lang>/LC_MESSAGES/django.po`, and fails on a missing, obsolete,
untranslated or fuzzy entry. The viewflow catalogue (`locale/viewflow/`) is checked for
completeness only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent
LANGUAGES = ["vi", "en"]
SKIP = shutil.ignore_patterns(".git", ".venv", ".data", "__pycache__", "*.mo", "test-results")


def _ids(po: polib.POFile) -> set[tuple[str, str]]:
    return {(e.msgctxt or "", e.msgid) for e in po if not e.obsolete and e.msgid}


MAKEMESSAGES = [
    "makemessages",
    "--no-location",
    "--no-obsolete",
    *[f"-l{lang}" for lang in LANGUAGES],
    "--ignore=tests/*",
    "--ignore=bench/*",
    "--ignore=locale/*",
    "--ignore=.venv/*",
    "--ignore=.data/*",
]


def _makemessages(tree: Path) -> None:
    env = dict(
        os.environ,
        DATABASE_URL="postgres://unused@127.0.0.1:1/unused",
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )


def update() -> int:
    """Refresh both catalogues from the code; English gets msgstr = msgid."""
    _makemessages(BASE_DIR)
    english = polib.pofile(str(BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    for entry in english:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
    english.save()
    todo = _untranslated(
        polib.pofile(str(BASE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.po")), "vi"
    )
    for line in todo:
        print(line)
    print(f"{len(todo)} Vietnamese entr{'y' if len(todo) == 1 else 'ies'} to translate.")
    return 0


def main() -> int:
    if "--update" in sys.argv[1:]:
        return update()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        shutil.copytree(BASE_DIR, tree, ignore=SKIP)
        _makemessages(tree)
        for lang in LANGUAGES:
            fresh = _ids(polib.pofile(str(tree / "locale" / lang / "LC_MESSAGES" / "django.po")))
            committed_po = polib.pofile(
                str(BASE_DIR / "locale" / lang / "LC_MESSAGES" / "django.po")
            )
            committed = _ids(committed_po)
            for _ctx, msgid in sorted(fresh - committed):
                problems.append(f"{lang}: not in the catalogue (run makemessages): {msgid!r}")
            for _ctx, msgid in sorted(committed - fresh):
                problems.append(f"{lang}: obsolete entry no longer in the code: {msgid!r}")
            problems += _untranslated(committed_po, lang)
    for po_path in sorted((BASE_DIR / "locale" / "viewflow").glob("*/LC_MESSAGES/*.po")):
        problems += _untranslated(polib.pofile(str(po_path)), str(po_path.relative_to(BASE_DIR)))
    for problem in problems:
        print(problem)
    print(f"i18n check: {len(problems)} problem(s).")
    return 1 if problems else 0


def _untranslated(po: polib.POFile, label: str) -> list[str]:
    out = [f"{label}: untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    out += [f"{label}: fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
    return out


if __name__ == "__main__":
    sys.exit(main())
