-- ejops is great
SELECT 1;
