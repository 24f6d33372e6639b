"""`manage.py check_invariants`: what must hold over the whole database (portal.invariants), each with its
number of violations and a few ids; exit status 1 if any is broken. Run after a crash, a restart, a killed
server or a restore; `make load` runs it after every load run."""

import time

from django.core.management.base import BaseCommand, CommandError

from portal.invariants import check_all


class Command(BaseCommand):
    help = "Check the invariants over the whole database; exit status 1 if any is broken."

    def handle(self, *args, **options):
        started = time.perf_counter()
        findings = check_all()
        width = max(len(finding.invariant.label) for finding in findings)
        for finding in findings:
            line = f"{finding.invariant.label:<{width}}  {finding.count:>7,}"
            if finding.count:
                ids = ", ".join(str(pk) for pk in finding.examples)
                more = ", ..." if finding.count > len(finding.examples) else ""
                line += f"  e.g. {finding.invariant.model} {ids}{more}"
            self.stdout.write(line)
        broken = sum(1 for finding in findings if finding.count)
        elapsed = time.perf_counter() - started
        if broken:
            raise CommandError(
                f"{broken} of {len(findings)} invariants broken ({elapsed:.1f} s).", returncode=1
            )
        self.stdout.write(f"All {len(findings)} invariants hold ({elapsed:.1f} s).")
