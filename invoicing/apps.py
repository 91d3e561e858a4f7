from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Delivery and invoices"

    def ready(self):
        from core import panels

        from .panels import package_delivery

        panels.register("package", order=20, render=package_delivery)
