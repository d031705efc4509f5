"""The redb hot cache: the only importer of the redb extension (cache.py) and its envelope."""
