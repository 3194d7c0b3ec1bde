"""Prepare the baseline's database: migrate and create the load test's users.

DATABASE_URL=... python -m bench.baseline.prepare --users 200 --password PASSWORD
"""

import argparse
import os


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline.prepare")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    hashed = make_password(args.password)  # hashed once: the login pays the hasher, not this
    User.objects.all().delete()
    User.objects.bulk_create(
        User(username=f"base-user-{i:04d}", password=hashed) for i in range(args.users)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
