"""The bare-Django baseline of the load test (issue #9, benchmark 3).

A minimal project with its own settings module (``bench.baseline.settings``): one model
(``Mark``), session authentication through ``django.contrib.auth``'s login form, CSRF on, and one
page whose POST does one small transactional write. ``bench.load`` serves it with the same server
setup as Cadreflow (gunicorn sync / uvicorn, two workers, the same psycopg pool settings) against
the same PostgreSQL, and drives it with the same client (log in, then GET the form and POST it in
a loop); Cadreflow's throughput is reported as a ratio of it.
"""
