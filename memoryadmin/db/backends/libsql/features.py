from django.db.backends.sqlite3.features import DatabaseFeatures as SQLiteFeatures


class DatabaseFeatures(SQLiteFeatures):
    """SQLite's feature flags hold: the engine underneath is SQLite 3.45."""
