SELECT N'unterminated;
