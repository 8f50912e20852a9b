EXEC sys.sp_rename 'dbo.OldName', 'NewName';
