"""`python manage.py check_invoice_deadlines`: the scheduler's deadline check, run now."""

from django.core.management.base import BaseCommand

from invoicing import services


class Command(BaseCommand):
    help = "Email finance about unpaid invoices due soon or overdue (each warning once)."

    def handle(self, *args, **options):
        sent = services.check_invoice_deadlines()
        self.stdout.write(f"Sent {sent} deadline warning{'s' if sent != 1 else ''}.")
