-- 0026: a responding party's duress passcode (store/migrations/0026_duress.sql).
ALTER TABLE responding_parties ADD COLUMN duress_passcode text NOT NULL DEFAULT '';
