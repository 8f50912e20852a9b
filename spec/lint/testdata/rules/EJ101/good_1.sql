SELECT 1;
GOTO done;
done:
PRINT N'ok';
