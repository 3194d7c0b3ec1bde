"""The directory's name search, indexed (issue #9).

``cadreflow_unaccent(text)``: PostgreSQL's ``unaccent`` with its dictionary named, declared
IMMUTABLE so that an index may hold it (``unaccent`` itself is STABLE). Both are qualified with
the schema the extension lives in, so the index does not depend on the ``search_path`` (a
restore runs with an empty one). Then a trigram index on ``UPPER(cadreflow_unaccent(full_name))``
— exactly what ``selectors.cadre_directory`` compares — and fresh statistics, which give the
planner the number of names matching a pattern (the search used to be estimated at one row and
joined its units in a nested loop).
"""

import django.contrib.postgres.indexes
from django.db import migrations

import personnel.expressions

CREATE_FUNCTION = """
DO $$
DECLARE
    schema_name text;
BEGIN
    SELECT n.nspname INTO STRICT schema_name
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'unaccent';
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION cadreflow_unaccent(text) RETURNS text '
        'LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS %L',
        format('SELECT %I.unaccent(%L::regdictionary, $1)', schema_name,
               quote_ident(schema_name) || '.unaccent')
    );
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("personnel", "0004_evaluation_ad_hoc"),
        ("audit", "0001_initial"),  # creates the pg_trgm extension
    ]

    operations = [
        migrations.RunSQL(CREATE_FUNCTION, "DROP FUNCTION IF EXISTS cadreflow_unaccent(text)"),
        migrations.AddIndex(
            model_name="cadre",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    personnel.expressions.plain_upper("full_name"), name="gin_trgm_ops"
                ),
                name="cadre_plain_name_trgm",
            ),
        ),
        migrations.RunSQL("ANALYZE personnel_cadre", migrations.RunSQL.noop),
    ]
