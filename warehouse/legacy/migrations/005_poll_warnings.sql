-- What the feed parser had to forgive (XML recovered leniently, a charset that lied):
-- not an error, but worth seeing next to the poll.
ALTER TABLE polls ADD COLUMN warning VARCHAR;
