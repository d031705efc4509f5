"""Test-only models, created with the schema editor by the `probe_tables` fixture."""

from django.db import models


class TypeProbe(models.Model):
    big = models.BigIntegerField(null=True)
    when = models.DateTimeField(null=True)
    day = models.DateField(null=True)
    clock = models.TimeField(null=True)
    amount = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    blob = models.BinaryField(null=True)
    flag = models.BooleanField(null=True)
    doc = models.JSONField(null=True)
    token = models.UUIDField(null=True)
    ratio = models.FloatField(null=True)
    label = models.CharField(max_length=50, unique=True, null=True)

    objects: models.Manager["TypeProbe"] = models.Manager()

    class Meta:
        app_label = "probes"
        db_table = "test_type_probe"


class ProbeChild(models.Model):
    parent = models.ForeignKey(TypeProbe, on_delete=models.CASCADE)
    name = models.CharField(max_length=20)

    objects: models.Manager["ProbeChild"] = models.Manager()

    class Meta:
        app_label = "probes"
        db_table = "test_probe_child"
