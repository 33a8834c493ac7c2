"""Imported only by the extractor pool's fork server: it loads the language model there
once (half a second of CPU), so every worker forked from the server starts with it."""
from flows import extract

extract.warm_up()
