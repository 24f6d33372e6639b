"""Re-encrypt every resident's ID number and phone with the first of PORTAL_FIELD_KEYS, in batches.

Key rotation: put the new key first in PORTAL_FIELD_KEYS (the old one after it, so both decrypt), restart,
run this command, then drop the old key. With --reindex it also recomputes the blind indexes, after
PORTAL_BLIND_INDEX_KEY changed (no old index key is needed: the values are decrypted). Each batch is its
own transaction, so the command can be stopped and run again; rows already under the first key are left
as they are (unless --reindex).
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from common import crypto
from residents import identity
from residents.models import Resident

BATCH = 2000


class Command(BaseCommand):
    help = "Re-encrypt ID numbers and phones with the first field key (after adding a new key first)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH)
        parser.add_argument(
            "--reindex", action="store_true", help="Also recompute the blind indexes (new index key)."
        )

    def handle(self, *args, batch_size: int, reindex: bool, **options) -> None:
        table = Resident._meta.db_table
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        rewritten = checked = last = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                # The stored tokens themselves (the model's field would decrypt them), the batch locked.
                cursor.execute(
                    f"SELECT id, id_number, phone FROM {table} WHERE id > %s ORDER BY id LIMIT %s{lock}",
                    [last, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                for pk, id_token, phone_token in rows:
                    checked += 1
                    if not reindex and all(
                        crypto.encrypted_with_current_key(token) for token in (id_token, phone_token) if token
                    ):
                        continue
                    changes = {
                        "id_number": crypto.rotate(id_token),
                        "phone": crypto.rotate(phone_token) if phone_token else "",
                    }
                    if reindex:
                        phone = crypto.decrypt(phone_token) if phone_token else ""
                        changes["id_number_index"] = identity.id_number_index(crypto.decrypt(id_token))
                        changes["phone_index"] = identity.phone_index(phone) if phone else ""
                    columns = ", ".join(f"{column} = %s" for column in changes)
                    cursor.execute(f"UPDATE {table} SET {columns} WHERE id = %s", [*changes.values(), pk])
                    rewritten += 1
        self.stdout.write(f"Re-encrypted {rewritten} of {checked} residents.")
