-- 0016: a placeholder. Version 16 belongs to another change of issue 15
-- that is not merged yet; the versions must run without a gap, so this
-- file holds the number for 0017 (retention) and is replaced by that
-- change's own 0016 when it lands. It changes nothing.
SELECT 1;
