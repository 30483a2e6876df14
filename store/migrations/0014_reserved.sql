-- 0014: reserved for a change developed alongside 0015; it changes nothing
-- here, so that 0015 applies in order. The change that takes the number
-- replaces this file.
SELECT 1;
