"""``manage.py unlock <username>…``: clear the sign-in pauses of accounts, from every address (villages.throttle).

The user admin's "unlock sign-in" action does the same for a superuser in the browser.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from villages.throttle import unlock


class Command(BaseCommand):
    help = "Clear the sign-in pauses (failed-password lockouts) of the named accounts, from every address."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="username")

    def handle(self, *args, usernames, **options):
        known = set(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
        if unknown := [name for name in usernames if name not in known]:
            raise CommandError(f"No such user: {', '.join(unknown)}")
        for username in usernames:
            unlock(username)
            self.stdout.write(f"Sign-in unlocked: {username}")
