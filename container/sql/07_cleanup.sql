-- 07_cleanup.sql: remove everything 01-06 created, so nothing keeps consuming credits. Run it last.
-- Order matters: the function before the service it calls, the service before its compute pool,
-- each object dropped by the role that owns it (test_role owns the database and all in it,
-- ACCOUNTADMIN the pool and the warehouse), and the role last.

---------------------------------------------------------------------------------------------
-- As test_role: the database and everything in it.
---------------------------------------------------------------------------------------------
USE ROLE test_role;
USE DATABASE tutorial_db;
USE SCHEMA data_schema;

-- The service function, and the table of 04_queries.sql.
DROP FUNCTION IF EXISTS my_echo_udf(varchar);
DROP TABLE IF EXISTS messages;

-- The service: its containers get SIGTERM and stop; the pool's nodes become idle.
DROP SERVICE IF EXISTS echo_service;

-- The image repository (with the pushed images) and the stage (with any uploaded spec.yaml).
DROP IMAGE REPOSITORY IF EXISTS tutorial_repository;
DROP STAGE IF EXISTS tutorial_stage;

-- The database, with data_schema and anything left in it.
DROP DATABASE IF EXISTS tutorial_db;

---------------------------------------------------------------------------------------------
-- As ACCOUNTADMIN: the account-level objects it created, then the role.
---------------------------------------------------------------------------------------------
USE ROLE ACCOUNTADMIN;

-- STOP ALL ends anything still running on the pool (a service created by hand, say), so the
-- DROP does not fail on a busy pool.
ALTER COMPUTE POOL IF EXISTS tutorial_compute_pool STOP ALL;
DROP COMPUTE POOL IF EXISTS tutorial_compute_pool;

DROP WAREHOUSE IF EXISTS tutorial_warehouse;
DROP ROLE IF EXISTS test_role;
