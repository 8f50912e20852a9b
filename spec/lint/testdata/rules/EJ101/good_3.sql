SELECT N'
GO
' AS Text;
