"""Pure: text shared by feeds, pages and HTTP: dates, bylines, media types, character sets,
normalised text."""
