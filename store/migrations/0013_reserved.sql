-- 0013: reserved for a change developed alongside 0014; it changes nothing
-- here, so that 0014 applies in order. The change that takes the number
-- replaces this file.
SELECT 1;
