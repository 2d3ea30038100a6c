import django.db.models.functions.datetime
import uuid
from django.db import migrations, models


def schedule(apps, schema_editor):
    from core.beat import ensure_periodic_task
    from core.schedules import OUTBOX_DRAIN

    ensure_periodic_task(apps, **OUTBOX_DRAIN)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('handler', models.CharField(max_length=200)),
                ('payload', models.JSONField(default=dict)),
                ('dedupe_key', models.CharField(blank=True, default='', help_text='At most one undelivered message per key (empty: no limit).', max_length=100)),
                ('idempotency_key', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=8)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('sending_started_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.TextField(blank=True, default='')),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={
                'ordering': ['id'],
                'indexes': [models.Index(condition=models.Q(('status__in', ['pending', 'sending'])), fields=['status', 'next_attempt_at'], name='outbox_undelivered_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['pending', 'sending']), models.Q(('dedupe_key', ''), _negated=True)), fields=('dedupe_key',), name='outbox_one_undelivered_per_key')],
            },
        ),
        migrations.RunPython(schedule, migrations.RunPython.noop),
    ]
