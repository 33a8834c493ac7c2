"""Pure: sources.yaml editing (keeping comments) and OPML in and out."""
