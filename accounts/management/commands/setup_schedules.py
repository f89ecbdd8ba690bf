from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django_q.models import Schedule

PARIS = ZoneInfo("Europe/Paris")

# (task name, function, hour in Paris). Run at release time; safe to run again.
DAILY = [
    ("Purge des comptes (rétention)", "accounts.tasks.purge_accounts", time(3, 30)),
    (
        "Purge des sessions et journaux de connexion",
        "accounts.tasks.purge_sessions_and_logs",
        time(3, 40),
    ),
    ("Purge des e-mails envoyés", "notifications.tasks.purge_outgoing_emails", time(3, 50)),
    (
        "Purge des invitations et demandes d'accès",
        "accounts.tasks.purge_invitations",
        time(4, 0),
    ),
    ("Synchronisation de toutes les billetteries", "ticketing.tasks.sync_all_systems", time(2, 0)),
]


def next_occurrence(at: time, now: datetime) -> datetime:
    candidate = datetime.combine(now.astimezone(PARIS).date(), at, tzinfo=PARIS)
    return candidate if candidate > now else candidate + timedelta(days=1)


class Command(BaseCommand):
    help = "Creates or updates the recurring tasks (django-q2 schedules). Idempotent."

    def handle(self, *args, **options) -> None:
        now = datetime.now(tz=PARIS)
        for name, func, at in DAILY:
            schedule, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1},
            )
            if created or schedule.next_run is None or schedule.next_run < now:
                schedule.next_run = next_occurrence(at, now)
                schedule.save(update_fields=["next_run"])
            self.stdout.write(f"{'Créée' if created else 'À jour'} : {name} ({func})")
