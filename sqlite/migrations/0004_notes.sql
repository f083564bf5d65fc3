-- A timeline entry is a note: the notices table becomes notes.
ALTER TABLE notices RENAME TO notes;
DROP INDEX notices_merchant;
CREATE INDEX notes_merchant ON notes (merchant_uid, id);
