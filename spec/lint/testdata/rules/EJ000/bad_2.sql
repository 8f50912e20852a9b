/* open /* nested */
SELECT 1;
