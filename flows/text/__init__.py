"""Pure: text shared by feeds and pages: dates, character sets."""
