IF OBJECT_ID(N'dbo.OldName') IS NOT NULL
    EXEC sys.sp_rename 'dbo.OldName', 'NewName';
