# The outbox models moved here from `communication` (ribambelle.outbox sits below every app).
# The tables stay where they are (db_table): only Django's state moves, no data is touched.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('communication', '0004_email_enclosure'),
        ('families', '0004_search_trigram_index'),
        ('tenancy', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='EmailTemplateOverride',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='créé le')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modifié le')),
                    ('template', models.CharField(max_length=60, verbose_name='e-mail')),
                    ('subject', models.CharField(max_length=200, verbose_name='objet')),
                    ('body', models.TextField(max_length=5000, verbose_name='texte')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organisation', verbose_name='organisation')),
                    ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': "texte d'e-mail personnalisé",
                    'db_table': 'communication_emailtemplateoverride',
                    'constraints': [models.UniqueConstraint(fields=('organisation', 'template'), name='email_override_unique')],
                },
            ),
            migrations.CreateModel(
                name='OutgoingEmail',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='créé le')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modifié le')),
                    ('template', models.CharField(max_length=60, verbose_name='modèle')),
                    ('to', models.EmailField(max_length=254, verbose_name='destinataire')),
                    ('from_name', models.CharField(max_length=200, verbose_name='expéditeur')),
                    ('reply_to', models.EmailField(blank=True, max_length=254, verbose_name='répondre à')),
                    ('subject', models.CharField(max_length=250, verbose_name='objet')),
                    ('body_text', models.TextField(verbose_name='texte')),
                    ('body_html', models.TextField(blank=True, verbose_name='HTML')),
                    ('status', models.CharField(choices=[('queued', "En attente d'envoi"), ('sending', 'Envoi en cours'), ('retrying', 'Nouvel essai prévu'), ('sent', 'Envoyé'), ('failed', 'Abandonné')], default='queued', max_length=10, verbose_name='statut')),
                    ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='tentatives')),
                    ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='prochain essai')),
                    ('last_error', models.TextField(blank=True, verbose_name='dernière erreur')),
                    ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='envoyé le')),
                    ('enclosure_kind', models.CharField(blank=True, max_length=40, verbose_name='pièce jointe')),
                    ('enclosure_id', models.PositiveBigIntegerField(blank=True, null=True)),
                    ('family', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='families.family', verbose_name='famille')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organisation', verbose_name='organisation')),
                    ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='compte concerné')),
                ],
                options={
                    'verbose_name': 'e-mail',
                    'db_table': 'communication_outgoingemail',
                    'ordering': ['-created_at', '-id'],
                    'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='communicati_status_cbc4ca_idx'), models.Index(fields=['organisation', '-created_at'], name='communicati_organis_c8d9d3_idx')],
                },
            ),
            ],
        ),
    ]
