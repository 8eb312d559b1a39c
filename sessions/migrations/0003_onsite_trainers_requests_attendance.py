"""Trainers and their unavailability, on-site training requests and sessions, rosters and
attendance. A session's trainer becomes a Trainer (whose id is its user's id): users already named
as trainers get a Trainer row (home province Ankara, to be corrected in the admin). On PostgreSQL,
btree_gist backs the constraint that a trainer's live sessions never overlap."""

import django.contrib.postgres.fields.ranges
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models

import sessions.models


def trainers_of_existing_sessions(apps, schema_editor):
    TrainingSession = apps.get_model("training_sessions", "TrainingSession")
    Trainer = apps.get_model("training_sessions", "Trainer")
    user_ids = TrainingSession.objects.exclude(trainer__isnull=True).values_list("trainer_id", flat=True).distinct()
    for user_id in user_ids:
        Trainer.objects.get_or_create(user_id=user_id, defaults={"home_province_id": 6})


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("entitlements", "0005_official_language"),
        ("training_sessions", "0002_catalog_venues_and_staff_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.CreateModel(
            name="Unavailability",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("starts_at", models.DateTimeField(verbose_name="starts at")),
                ("ends_at", models.DateTimeField(verbose_name="ends at")),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="reason")),
            ],
            options={
                "verbose_name": "unavailability",
                "verbose_name_plural": "unavailability",
                "ordering": ["trainer", "starts_at"],
            },
        ),
        migrations.AddField(
            model_name="historicaltrainingsession",
            name="address",
            field=models.CharField(blank=True, max_length=300, verbose_name="address"),
        ),
        migrations.AddField(
            model_name="historicaltrainingsession",
            name="hours",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="hours"),
        ),
        migrations.AddField(
            model_name="historicaltrainingsession",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="entitlements.institution",
            ),
        ),
        migrations.AddField(
            model_name="historicaltrainingsession",
            name="province",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="entitlements.province",
                verbose_name="province",
            ),
        ),
        migrations.AddField(
            model_name="trainingsession",
            name="address",
            field=models.CharField(blank=True, max_length=300, verbose_name="address"),
        ),
        migrations.AddField(
            model_name="trainingsession",
            name="hours",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="hours"),
        ),
        migrations.AddField(
            model_name="trainingsession",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="onsite_sessions",
                to="entitlements.institution",
            ),
        ),
        migrations.AddField(
            model_name="trainingsession",
            name="province",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="entitlements.province",
                verbose_name="province",
            ),
        ),
        migrations.CreateModel(
            name="Attendance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("full", "Attended in full"), ("partial", "Attended in part"), ("absent", "Absent")],
                        max_length=10,
                        verbose_name="attendance",
                    ),
                ),
                ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attendance",
                        to="training_sessions.participant",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attendance",
                        to="training_sessions.trainingsession",
                    ),
                ),
            ],
            options={
                "verbose_name": "attendance",
                "verbose_name_plural": "attendance",
                "ordering": ["session", "participant"],
            },
        ),
        migrations.CreateModel(
            name="Enrolment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("enrolled_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="enrolled at")),
                (
                    "enrolled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "institution",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="entitlements.institution"
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enrolments",
                        to="training_sessions.participant",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enrolments",
                        to="training_sessions.trainingsession",
                    ),
                ),
            ],
            options={
                "verbose_name": "enrolment",
                "verbose_name_plural": "enrolments",
                "ordering": ["session", "pk"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalAttendance",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("full", "Attended in full"), ("partial", "Attended in part"), ("absent", "Absent")],
                        max_length=10,
                        verbose_name="attendance",
                    ),
                ),
                ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.participant",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.trainingsession",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical attendance",
                "verbose_name_plural": "historical attendance",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalEnrolment",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("enrolled_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="enrolled at")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "enrolled_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "institution",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entitlements.institution",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.participant",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.trainingsession",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical enrolment",
                "verbose_name_plural": "historical enrolments",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalTrainer",
            fields=[
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "home_province",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entitlements.province",
                        verbose_name="home province",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical trainer",
                "verbose_name_plural": "historical trainers",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalTrainingRequest",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "preferred_dates",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='Windows as [{"from": date, "to": date}].',
                        verbose_name="preferred dates",
                    ),
                ),
                ("expected_participants", models.PositiveSmallIntegerField(verbose_name="expected participants")),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("submitted", "Submitted"),
                            ("scheduled", "Scheduled"),
                            ("rejected", "Rejected"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="submitted",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("submitted_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="submitted at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                ("rejection_reason", models.TextField(blank=True, verbose_name="reason for rejection")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "institution",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entitlements.institution",
                    ),
                ),
                (
                    "program",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entitlements.program",
                    ),
                ),
                (
                    "province",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entitlements.province",
                        verbose_name="province",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical training request",
                "verbose_name_plural": "historical training requests",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="Trainer",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="trainer",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "calendar_token",
                    models.CharField(
                        default=sessions.models._calendar_token,
                        max_length=64,
                        unique=True,
                        verbose_name="calendar link secret",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "home_province",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="entitlements.province",
                        verbose_name="home province",
                    ),
                ),
            ],
            options={
                "verbose_name": "trainer",
                "verbose_name_plural": "trainers",
                "ordering": ["user__first_name", "user__last_name", "user__username"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalUnavailability",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("starts_at", models.DateTimeField(verbose_name="starts at")),
                ("ends_at", models.DateTimeField(verbose_name="ends at")),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="reason")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "trainer",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.trainer",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical unavailability",
                "verbose_name_plural": "historical unavailability",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(trainers_of_existing_sessions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="historicaltrainingsession",
            name="trainer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="training_sessions.trainer",
                verbose_name="trainer",
            ),
        ),
        migrations.AlterField(
            model_name="trainingsession",
            name="trainer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="training_sessions.trainer",
                verbose_name="trainer",
            ),
        ),
        migrations.CreateModel(
            name="TrainingRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "preferred_dates",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='Windows as [{"from": date, "to": date}].',
                        verbose_name="preferred dates",
                    ),
                ),
                ("expected_participants", models.PositiveSmallIntegerField(verbose_name="expected participants")),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("submitted", "Submitted"),
                            ("scheduled", "Scheduled"),
                            ("rejected", "Rejected"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="submitted",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("submitted_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="submitted at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                ("rejection_reason", models.TextField(blank=True, verbose_name="reason for rejection")),
                (
                    "institution",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="training_requests",
                        to="entitlements.institution",
                    ),
                ),
                (
                    "program",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="training_requests",
                        to="entitlements.program",
                    ),
                ),
                (
                    "province",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="entitlements.province",
                        verbose_name="province",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "training request",
                "verbose_name_plural": "training requests",
                "ordering": ["-submitted_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalTrainingRequestItem",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("hours", models.PositiveSmallIntegerField(verbose_name="hours")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "course",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.course",
                        verbose_name="course",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="training_sessions.trainingrequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical request item",
                "verbose_name_plural": "historical request items",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="TrainingRequestItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hours", models.PositiveSmallIntegerField(verbose_name="hours")),
                (
                    "course",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="training_sessions.course",
                        verbose_name="course",
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="training_sessions.trainingrequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "request item",
                "verbose_name_plural": "request items",
                "ordering": ["request", "pk"],
            },
        ),
        migrations.AddField(
            model_name="historicaltrainingsession",
            name="request_item",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="training_sessions.trainingrequestitem",
            ),
        ),
        migrations.AddField(
            model_name="trainingsession",
            name="request_item",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="training_sessions.trainingrequestitem",
            ),
        ),
        migrations.AddIndex(
            model_name="trainingsession",
            index=models.Index(fields=["trainer", "starts_at"], name="session_by_trainer"),
        ),
        migrations.AddIndex(
            model_name="trainingsession",
            index=models.Index(fields=["institution", "program"], name="session_by_institution"),
        ),
        migrations.AddConstraint(
            model_name="trainingsession",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "onsite"), _negated=True),
                    models.Q(
                        ("hours__gt", 0),
                        ("institution__isnull", False),
                        ("province__isnull", False),
                        ("request_item__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="onsite_session_has_its_request",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingsession",
            constraint=sessions.models.TrainerNeverDoubleBooked(
                condition=models.Q(("trainer__isnull", False), models.Q(("status", "cancelled"), _negated=True)),
                expressions=[
                    ("trainer", "="),
                    (
                        sessions.models.TsTzRange(
                            "starts_at", "ends_at", django.contrib.postgres.fields.ranges.RangeBoundary()
                        ),
                        "&&",
                    ),
                ],
                name="trainer_never_double_booked",
                violation_error_code="trainer_conflict",
            ),
        ),
        migrations.AddField(
            model_name="unavailability",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="unavailability",
            name="trainer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="unavailability",
                to="training_sessions.trainer",
            ),
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.UniqueConstraint(fields=("session", "participant"), name="attendance_once_per_session"),
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.UniqueConstraint(fields=("session", "participant"), name="enrolment_once_per_session"),
        ),
        migrations.AddIndex(
            model_name="trainingrequest",
            index=models.Index(fields=["institution", "program", "status"], name="request_by_institution"),
        ),
        migrations.AddIndex(
            model_name="trainingrequest",
            index=models.Index(fields=["status", "program"], name="request_queue"),
        ),
        migrations.AddConstraint(
            model_name="trainingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("expected_participants__gt", 0)), name="request_expects_someone"
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "rejected"), _negated=True),
                    models.Q(("rejection_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="request_rejected_with_a_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingrequestitem",
            constraint=models.CheckConstraint(condition=models.Q(("hours__gt", 0)), name="request_item_hours_positive"),
        ),
        migrations.AddConstraint(
            model_name="trainingrequestitem",
            constraint=models.UniqueConstraint(fields=("request", "course"), name="request_item_course_once"),
        ),
        migrations.AddIndex(
            model_name="unavailability",
            index=models.Index(fields=["trainer", "starts_at", "ends_at"], name="unavailability_by_trainer"),
        ),
        migrations.AddConstraint(
            model_name="unavailability",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))), name="unavailability_ends_after_start"
            ),
        ),
    ]
