"""Install the default deadline policies (DESIGN §4) and the starter catalogue."""

from django.db import migrations


def install(apps, schema_editor):
    from wangge.cases.catalogue import install_catalogue
    from wangge.cases.sla import install_default_policies

    install_default_policies(apps.get_model("cases", "SlaPolicy"))
    install_catalogue(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
