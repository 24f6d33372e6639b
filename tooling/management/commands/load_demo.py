"""`manage.py load_demo`: the demo community, loaded once; `make demo` runs it on every start."""

from django.core.management.base import BaseCommand

from audit.services import command_context
from tooling import demo


class Command(BaseCommand):
    help = (
        "Load the demo community (金城关社区, 草场街社区) with its residents and accounts. "
        "Does nothing when it is already loaded, so users' own changes are kept."
    )

    def handle(self, *args, **options) -> None:
        with command_context("load_demo"):
            counts = demo.load()
        if counts is None:
            self.stdout.write("Demo community already loaded; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(demo.summary(counts)))
        # Published demo links (a resident has no account: the link is what opens their request).
        self.stdout.write(
            "Residents' pages (no sign-in): a poster's link raises a request, a tracking link follows one:"
        )
        for label, url in demo.tracking_links():
            self.stdout.write(f"  {label:<24} {url}")
