UPDATE c SET Value = s.Value FROM dbo.Cfg AS c JOIN dbo.CfgSource AS s ON s.Name = c.Name;
