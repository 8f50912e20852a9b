/* a /* nested */ comment */
SELECT 1;
