-- A timeline entry is a note: the notices table becomes notes.
ALTER TABLE notices RENAME TO notes;
ALTER INDEX notices_merchant RENAME TO notes_merchant;
ALTER INDEX notices_pkey RENAME TO notes_pkey;
ALTER SEQUENCE notices_id_seq RENAME TO notes_id_seq;
