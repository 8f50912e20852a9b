:setvar Schema dbo
SELECT * FROM $(Schema).T;
