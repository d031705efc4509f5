"""Pattern content hashes now cover the use counts (times retrieved/applied).

The cached copy of a pattern carries those counts, so a count that lands must
change the hash for the sync to rewrite the entry. Existing rows get the new
hash and a new change marker here (the next sync rewrites each pattern once),
so `verify --full`, which recomputes hashes, keeps passing after the upgrade.
"""

from django.db import migrations

from episodes.learning.patterns import pattern_hash

BATCH = 500


def rehash_patterns(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated, not always "default"
    patterns = apps.get_model("episodes", "Pattern").objects.using(db)
    counters = apps.get_model("episodes", "ChangeCounter").objects.using(db)
    ids = list(patterns.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    counter, _ = counters.get_or_create(name="changes", defaults={"value": 0})
    seq = counter.value
    for start in range(0, len(ids), BATCH):
        rows = list(patterns.filter(pk__in=ids[start : start + BATCH]))
        for row in rows:
            seq += 1
            row.change_seq = seq
            row.content_hash = pattern_hash(row)
        patterns.bulk_update(rows, ["change_seq", "content_hash"])
    counter.value = seq
    counter.save(using=db, update_fields=["value"])


class Migration(migrations.Migration):
    dependencies = [("episodes", "0004_episode_type_recent")]

    operations = [migrations.RunPython(rehash_patterns, migrations.RunPython.noop)]
