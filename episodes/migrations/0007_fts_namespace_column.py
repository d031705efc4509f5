"""The full-text index gets a namespace column, so a MATCH is answered inside one
namespace by the index itself (``ns : nsN AND body : (...)``), never by filtering
another namespace's hits afterwards. The column weighs 0 in bm25."""

from django.db import migrations

FORWARD = [
    "CREATE VIRTUAL TABLE episodes_fts_new USING fts5("
    "episode_id UNINDEXED, ns, body, tokenize = 'porter unicode61')",
    "INSERT INTO episodes_fts_new (rowid, episode_id, ns, body) "
    "SELECT f.rowid, f.episode_id, 'ns' || e.namespace_id, f.body "
    "FROM episodes_fts f JOIN episodes_episode e ON e.id = f.episode_id",
    "DROP TABLE episodes_fts",
    "ALTER TABLE episodes_fts_new RENAME TO episodes_fts",
]
BACKWARD = [
    "CREATE VIRTUAL TABLE episodes_fts_old USING fts5("
    "episode_id UNINDEXED, body, tokenize = 'porter unicode61')",
    "INSERT INTO episodes_fts_old (rowid, episode_id, body) "
    "SELECT rowid, episode_id, body FROM episodes_fts",
    "DROP TABLE episodes_fts",
    "ALTER TABLE episodes_fts_old RENAME TO episodes_fts",
]


class Migration(migrations.Migration):
    dependencies = [("episodes", "0006_namespaces")]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
