EXEC xp_cmdshell 'dir';
