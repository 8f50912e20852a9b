:r .\common.sql
SELECT 1;
