SELECT 'costs $5' AS Price;
