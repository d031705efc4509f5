"""Test-only models for the remote alias, created there by the schema editor.

No field is nullable: django-stubs cannot type nullable fields of models
outside an installed app's models module (see tests/db/models.py).
"""

from __future__ import annotations

from django.db import models


class RemoteProbe(models.Model):
    label = models.CharField(max_length=50, unique=True)
    big = models.BigIntegerField(default=0)
    ratio = models.FloatField(default=0.0)
    blob = models.BinaryField(default=b"")

    objects: models.Manager[RemoteProbe] = models.Manager()

    class Meta:
        app_label = "remote_probes"
        db_table = "test_remote_probe"


class RemoteChild(models.Model):
    parent = models.ForeignKey(RemoteProbe, on_delete=models.CASCADE)
    name = models.CharField(max_length=20)

    objects: models.Manager[RemoteChild] = models.Manager()

    class Meta:
        app_label = "remote_probes"
        db_table = "test_remote_child"
