"""Make, list and revoke the 12345 platform's API keys from the server (the key page does the same)."""

from django.core.management.base import BaseCommand, CommandError

from grids.models import Community, Street
from hotline import services
from hotline.models import ApiClient


class Command(BaseCommand):
    help = "Make (printing the key once), list or revoke the 12345 platform's API keys."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a key; it is printed once and only its digest is kept")
        create.add_argument("--name", required=True)
        scope = create.add_mutually_exclusive_group(required=True)
        scope.add_argument("--street", help="the street's name")
        scope.add_argument("--community", help="the community's name (unique within its street)")
        create.add_argument("--callback-url", default="")
        sub.add_parser("list", help="the keys: prefix, name, scope, state")
        revoke = sub.add_parser("revoke", help="refuse a key from now on")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(self, *, name, street, community, callback_url, **options) -> None:
        place: dict = {}
        try:
            if street:
                place["street"] = Street.objects.get(name=street)
            else:
                place["community"] = Community.objects.get(name=community)
        except (Street.DoesNotExist, Community.DoesNotExist, Community.MultipleObjectsReturned):
            raise CommandError(
                "No such street or community (or more than one community of that name)."
            ) from None
        client, key = services.client_create(name=name, callback_url=callback_url, **place)
        self.stdout.write(f"Key for {client.name} ({client.scope_label}), shown once: {key}")

    def _list(self, **options) -> None:
        for client in ApiClient.objects.select_related("street", "community"):
            state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
            self.stdout.write(f"{client.key_prefix}\t{client.name}\t{client.scope_label}\t{state}")

    def _revoke(self, *, prefix, **options) -> None:
        client = ApiClient.objects.filter(key_prefix=prefix).first()
        if client is None:
            raise CommandError(f"No key with prefix {prefix}.")
        services.client_revoke(client=client, by=None)
        self.stdout.write(f"Revoked {client.key_prefix} ({client.name}).")
