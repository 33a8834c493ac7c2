"""Pure: canonical URLs, entry keys, exact duplicates (body hashes) and near-duplicate sketches."""
