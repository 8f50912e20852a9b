--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Create a credential for job execution
--! expect: success
--! count 1: sys.symmetric_keys WHERE name = '##MS_DatabaseMasterKey##'
--! count 1: sys.database_scoped_credentials WHERE name = 'job_credential' AND credential_identity = 'job_credential'
--! count 1: sys.database_scoped_credentials WHERE name = 'refresh_credential' AND credential_identity = 'refresh_credential'
--Connect to the new job database specified when creating the elastic job agent

-- Create a database master key if one does not already exist, using your own password.  
CREATE MASTER KEY ENCRYPTION BY PASSWORD='<EnterStrongPasswordHere>';  

-- Create two database-scoped credentials.  
-- The credential to connect to the Azure SQL logical server, to execute jobs
CREATE DATABASE SCOPED CREDENTIAL job_credential WITH IDENTITY = 'job_credential',
    SECRET = '<EnterStrongPasswordHere>';
GO
-- The credential to connect to the Azure SQL logical server, to refresh the database metadata in server
CREATE DATABASE SCOPED CREDENTIAL refresh_credential WITH IDENTITY = 'refresh_credential',
    SECRET = '<EnterStrongPasswordHere>';
GO
