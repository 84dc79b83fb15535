# The outbox models now belong to `ribambelle.outbox` (same tables): state only, no SQL,
# except the labels that name the models in the audit trail and the content types.

import django.db.models.deletion
from django.db import migrations, models


MOVED = ("emailtemplateoverride", "outgoingemail")


def relabel(old_app: str, new_app: str):
    def run(apps, schema_editor):
        AuditEntry = apps.get_model("core", "AuditEntry")
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in MOVED:
            AuditEntry.objects.filter(object_type=f"{old_app}.{model}").update(object_type=f"{new_app}.{model}")
            if not ContentType.objects.filter(app_label=new_app, model=model).exists():
                ContentType.objects.filter(app_label=old_app, model=model).update(app_label=new_app)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('communication', '0004_email_enclosure'),
        ('outbox', '0001_initial'),
        ('core', '0002_consents_robot'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='massmailingrecipient',
                    name='email',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='outbox.outgoingemail'),
                ),
                migrations.DeleteModel(name='EmailTemplateOverride'),
                migrations.DeleteModel(name='OutgoingEmail'),
            ],
        ),
        migrations.RunPython(relabel("communication", "outbox"), relabel("outbox", "communication")),
    ]
