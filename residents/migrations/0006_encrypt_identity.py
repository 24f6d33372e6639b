"""ID numbers and phones encrypted at rest, step 2: encrypt every resident's row (and decrypt it back).

Raw SQL in batches, so it runs the same on SQLite and PostgreSQL and never reads a clear value through the
encrypting field. Needs PORTAL_FIELD_KEYS and PORTAL_BLIND_INDEX_KEY (published local keys in debug).
"""

from django.db import migrations

from common import crypto

BATCH = 2000
# The same purposes as residents.identity.id_number_index / phone_index.
ID_PURPOSE, PHONE_PURPOSE = "resident.id_number", "resident.phone"


def _batches(cursor, columns: str):
    last = 0
    while True:
        cursor.execute(
            f"SELECT id, {columns} FROM residents_resident WHERE id > %s ORDER BY id LIMIT {BATCH}", [last]
        )
        rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def encrypt_rows(apps, schema_editor) -> None:
    update = (
        "UPDATE residents_resident SET id_number = %s, id_number_index = %s, id_region = %s, id_last4 = %s,"
        " phone = %s, phone_index = %s, phone_prefix = %s, phone_last4 = %s WHERE id = %s"
    )
    with schema_editor.connection.cursor() as cursor:
        for rows in _batches(cursor, "id_number, phone"):
            changes = []
            for pk, number, phone in rows:
                number, phone = number.strip().upper(), (phone or "").strip()
                changes.append(
                    (
                        crypto.encrypt(number),
                        crypto.blind_index(number, ID_PURPOSE),
                        number[:6],
                        number[-4:],
                        crypto.encrypt(phone) if phone else "",
                        crypto.blind_index(phone, PHONE_PURPOSE) if phone else "",
                        phone[:3],
                        phone[-4:],
                        pk,
                    )
                )
            cursor.executemany(update, changes)


def decrypt_rows(apps, schema_editor) -> None:
    # The indexes and parts stay: going back further, 0005 drops their columns.
    update = "UPDATE residents_resident SET id_number = %s, phone = %s WHERE id = %s"
    with schema_editor.connection.cursor() as cursor:
        for rows in _batches(cursor, "id_number, phone"):
            changes = [
                (crypto.decrypt(number), crypto.decrypt(phone) if phone else "", pk)
                for pk, number, phone in rows
            ]
            cursor.executemany(update, changes)


class Migration(migrations.Migration):
    dependencies = [("residents", "0005_resident_identity_parts")]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows)]
