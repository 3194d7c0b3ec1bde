"""``python -m bench.datagen --size small``: rebuild a benchmark database from scratch."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from .sizes import SIZES


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.datagen", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="multiply the size's counts (e.g. 0.1 for a quick run)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--anchor",
        type=dt.date.fromisoformat,
        default=None,
        help="the date the data describes (default 2026-11-30)",
    )
    parser.add_argument(
        "--password",
        default=None,
        help="password of every generated account (default: the bench-only "
        "constant bench.datagen.build.BENCH_PASSWORD)",
    )
    parser.add_argument(
        "--database",
        default=None,
        help="database name on the embedded server (default cadreflow_bench_<size>)",
    )
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    size = SIZES[args.size]
    if args.scale:
        size = size.scaled(args.scale)
    from bench._setup import setup, write

    setup(args.database or f"cadreflow_bench_{size.name.replace('.', '_')}", fresh=True)
    from .build import BENCH_PASSWORD, Generator
    from .clock import DEFAULT_ANCHOR, TZ
    from .loader import Progress

    options = {"seed": args.seed, "progress": Progress(quiet=args.quiet)}
    if args.anchor:
        options["anchor"] = dt.datetime.combine(args.anchor, DEFAULT_ANCHOR.timetz()).replace(
            tzinfo=TZ
        )
    options["password"] = args.password or BENCH_PASSWORD
    report = Generator(size, **options).run()
    report["logins"]["password"] = (
        BENCH_PASSWORD if args.password is None else "(given with --password)"
    )
    path = write(f"datagen-{size.name}", report)
    built, asked = report["built"], report["requested"]
    for key in asked:
        print(f"  {key:<16} {built[key]:>11,}  (asked {asked[key]:,})")
    print(f"  total            {report['seconds']['total']:>10.1f} s")
    print(f"Report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
