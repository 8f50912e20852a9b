SELECT N'it''s fine';
