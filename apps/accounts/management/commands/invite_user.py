from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import invitation_create


class Command(BaseCommand):
    help = "Invite a user by email: sends a single-use, expiring link to set a password."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            invitation, link = invitation_create(email=email)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Invitation emailed to {invitation.email}."))
        self.stdout.write(f"Link (valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC, works once): {link}")
