from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "ribambelle.bookings"
    label = "bookings"
