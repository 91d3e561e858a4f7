import zones.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='provider',
            name='code',
            field=models.CharField(error_messages={'unique': 'A provider with this code already exists.'}, max_length=20, unique=True, validators=[zones.models.code_validator]),
        ),
        migrations.AlterField(
            model_name='provider',
            name='cqc_location_id',
            field=models.CharField(blank=True, max_length=20, verbose_name='CQC location ID'),
        ),
        migrations.AlterField(
            model_name='provider',
            name='cqc_rating',
            field=models.CharField(choices=[('outstanding', 'Outstanding'), ('good', 'Good'), ('requires_improvement', 'Requires improvement'), ('inadequate', 'Inadequate'), ('not_rated', 'Not yet rated')], default='not_rated', max_length=24, verbose_name='CQC rating'),
        ),
    ]
