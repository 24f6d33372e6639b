"""ID numbers and phones are stored encrypted, found by keyed blind indexes, and rotate to a new key."""

import datetime
import importlib
import io
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from common import crypto
from residents import identity, services
from residents.models import Resident
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("residents.migrations.0006_encrypt_identity")
NUMBER, PHONE = "620102194403051243", "13893215678"


def stored(resident: Resident) -> dict:
    """The resident's row as the database holds it, read with raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_index, id_region, id_last4, phone_index, phone_prefix,"
            " phone_last4 FROM residents_resident WHERE id = %s",
            [resident.pk],
        )
        columns = [column.name for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def every_stored_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident")
        return "\n".join(str(value) for row in cursor.fetchall() for value in row)


def test_the_database_holds_no_clear_id_number_or_phone():
    resident = ResidentFactory(id_number=NUMBER, phone=PHONE)
    row = stored(resident)

    assert NUMBER not in every_stored_text() and PHONE not in every_stored_text()
    assert crypto.decrypt(row["id_number"]) == NUMBER and crypto.decrypt(row["phone"]) == PHONE
    # What the search and the mask need is stored apart, and nothing more of the numbers.
    assert (row["id_region"], row["id_last4"], row["phone_prefix"], row["phone_last4"]) == (
        "620102",
        "1243",
        "138",
        "5678",
    )
    assert row["id_number_index"] == identity.id_number_index(NUMBER) != NUMBER
    # Python reads the clear values, so masks, forms and exports work as before.
    again = Resident.objects.get(pk=resident.pk)
    assert (again.id_number, again.phone, again.masked_phone) == (NUMBER, PHONE, "138****5678")


def test_an_empty_phone_stays_empty():
    resident = ResidentFactory(phone="")
    assert stored(resident)["phone"] == "" and stored(resident)["phone_index"] == ""
    assert Resident.objects.get(pk=resident.pk).phone == ""


def test_a_changed_number_changes_its_index_and_parts():
    resident = ResidentFactory(id_number=NUMBER, phone=PHONE)
    resident.phone = "13900001111"
    resident.save(update_fields=["phone"])

    assert stored(resident)["phone_last4"] == "1111"
    assert list(Resident.objects.with_phone("13900001111")) == [resident]
    assert not Resident.objects.with_phone(PHONE).exists()


def test_lookup_by_blind_index():
    resident = ResidentFactory(id_number=NUMBER, phone=PHONE)
    ResidentFactory()

    assert list(Resident.objects.with_id_number(NUMBER)) == [resident]
    assert list(Resident.objects.with_phone(PHONE)) == [resident]
    assert not Resident.objects.with_id_number("11010519491231002X").exists()


def test_lookups_on_the_ciphertext_are_refused_rather_than_silently_empty():
    with pytest.raises(FieldError):
        Resident.objects.filter(id_number=NUMBER).exists()
    with pytest.raises(FieldError):
        Resident.objects.filter(phone__endswith="5678").exists()


def test_the_blind_index_needs_its_key(settings):
    before = identity.id_number_index(NUMBER)
    settings.BLIND_INDEX_KEY = "another-blind-index-key-of-enough-length"
    assert identity.id_number_index(NUMBER) != before


def test_the_id_number_is_unique_through_its_index():
    ResidentFactory(id_number=NUMBER)
    duplicate = ResidentFactory.build(
        household=HouseholdFactory(), id_number=NUMBER, birth_date=datetime.date(1944, 3, 5), sex="female"
    )

    with pytest.raises(ValidationError) as exc:
        services.resident_save(resident=duplicate)
    assert exc.value.message_dict == {"id_number": ["该身份证号已在平台中登记。"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_key_rotation(settings):
    old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    resident = ResidentFactory(id_number=NUMBER, phone=PHONE)
    under_old = stored(resident)

    # The new key first: it encrypts, the old one still decrypts the rows not yet rotated.
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Resident.objects.get(pk=resident.pk).id_number == NUMBER
    call_command("rotate_field_keys", batch_size=1, stdout=io.StringIO())

    rotated = stored(resident)
    assert rotated["id_number"] != under_old["id_number"] and rotated["phone"] != under_old["phone"]
    assert rotated["id_number_index"] == under_old["id_number_index"]
    # The old key can go: the new one alone reads every row, and the old one alone no longer does.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    again = Resident.objects.get(pk=resident.pk)
    assert (again.id_number, again.phone) == (NUMBER, PHONE)
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(crypto.InvalidToken):
        Resident.objects.get(pk=resident.pk)


def test_rotation_with_a_new_index_key_recomputes_the_indexes(settings):
    resident = ResidentFactory(id_number=NUMBER, phone=PHONE)
    settings.BLIND_INDEX_KEY = "a-new-blind-index-key-for-this-test-only"
    assert not Resident.objects.with_id_number(NUMBER).exists()

    call_command("rotate_field_keys", reindex=True, stdout=io.StringIO())

    assert list(Resident.objects.with_id_number(NUMBER)) == [resident]
    assert list(Resident.objects.with_phone(PHONE)) == [resident]


def test_the_migration_encrypts_existing_rows_and_decrypts_them_back():
    with_phone = ResidentFactory(id_number=NUMBER, phone=PHONE)
    without = ResidentFactory(phone="")
    clear = {with_phone.pk: (NUMBER, PHONE), without.pk: (without.id_number, "")}
    # The rows as they were before the migration: clear values, no real indexes or parts (placeholders
    # where the constraints of 0007, already in place here, ask for a shape).
    with connection.cursor() as cursor:
        for pk, (number, phone) in clear.items():
            cursor.execute(
                "UPDATE residents_resident SET id_number = %s, phone = %s, id_number_index = %s,"
                " id_region = '000000', id_last4 = '0000', phone_index = '', phone_prefix = '',"
                " phone_last4 = ''"
                " WHERE id = %s",
                [number, phone, f"{pk:064x}", pk],
            )
    assert NUMBER in every_stored_text()

    migration.encrypt_rows(apps, SimpleNamespace(connection=connection))

    assert NUMBER not in every_stored_text() and PHONE not in every_stored_text()
    for pk, (number, phone) in clear.items():
        resident = Resident.objects.get(pk=pk)
        assert (resident.id_number, resident.phone) == (number, phone)
        assert list(Resident.objects.with_id_number(number)) == [resident]
    assert stored(with_phone)["phone_last4"] == "5678" and stored(without)["phone_index"] == ""

    migration.decrypt_rows(apps, SimpleNamespace(connection=connection))
    assert stored(with_phone)["id_number"] == NUMBER and stored(with_phone)["phone"] == PHONE


@pytest.mark.parametrize("value", ["620102194403051243", "13893215678", "", "0123456789abcdef", "王" * 20])
def test_the_generator_s_bulk_tokens_are_fernet_tokens(value):
    encrypt = crypto.bulk_encrypter()
    first, second = encrypt(value), encrypt(value)
    assert first != second  # a random IV each time
    assert crypto.decrypt(first) == crypto.decrypt(second) == value
    assert Fernet(crypto.settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(first.encode()).decode() == value
