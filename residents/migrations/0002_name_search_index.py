"""Name-fragment search over a million residents on PostgreSQL.

Chinese names are two or three characters, so pg_trgm's trigrams cannot serve the common two-character
search ("王芳"). Instead a GIN index holds each name's characters and character pairs; a fragment is
found through the pairs it contains and then checked with LIKE (residents.selectors.search_residents).
SQLite, used only by the local demo, scans instead.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION resident_name_ngrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
      ) AS grams
    $$
    """,
    "CREATE INDEX resident_name_ngrams_gin ON residents_resident "
    "USING gin (resident_name_ngrams(name))",
    "CREATE INDEX building_address_ngrams_gin ON grids_building "
    "USING gin (resident_name_ngrams(address))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS building_address_ngrams_gin",
    "DROP INDEX IF EXISTS resident_name_ngrams_gin",
    "DROP FUNCTION IF EXISTS resident_name_ngrams(text)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0001_initial"),
        ("grids", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
