"""`wangge hook_secret KEY`: set the shared secret of an alarm source.

The secret is read from standard input (so it stays out of the shell history
and the process list) or, with --generate, made here and printed once for
the operator to hand to the source.
"""

import secrets
import sys

from django.core.management.base import BaseCommand, CommandError

from wangge.integrations.models import HookSource

MIN_LENGTH = 32


class Command(BaseCommand):
    help = "Set the HMAC secret of an alarm source (read from stdin, or --generate)."

    def add_arguments(self, parser):
        parser.add_argument("key", help="The source key (X-Wangge-Source).")
        parser.add_argument(
            "--generate", action="store_true", help="Make a random secret and print it once."
        )

    def handle(self, *args, key, generate, **options):
        source = HookSource.objects.filter(key=key).first()
        if source is None:
            raise CommandError(f"No alarm source with key {key!r}.")
        if generate:
            secret = secrets.token_urlsafe(32)
        else:
            secret = sys.stdin.readline().strip()
            if len(secret) < MIN_LENGTH:
                raise CommandError(f"The secret must have at least {MIN_LENGTH} characters.")
        source.set_secret(secret)
        source.save(update_fields=["secret_encrypted"])
        if generate:
            self.stdout.write(secret)
        self.stderr.write(f"Secret of {source.name} ({key}) set.")
