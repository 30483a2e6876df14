-- 0026: a responding party's duress passcode: given to the operator under
-- threat, it answers like a right one and raises a hold-up alarm. Write-only
-- and sealed at rest like the passcode.
ALTER TABLE responding_parties ADD COLUMN duress_passcode TEXT NOT NULL DEFAULT '';
