-- 01_setup.sql: everything the echo service needs, in an account that has none of it.
-- Run it once, as a user who may use ACCOUNTADMIN, in a Snowsight worksheet (select all, Run)
-- or with `snow sql -f container/sql/01_setup.sql`. Safe to run again: IF NOT EXISTS everywhere.

---------------------------------------------------------------------------------------------
-- Part 1, as ACCOUNTADMIN: account-level objects and the privileges of test_role.
---------------------------------------------------------------------------------------------
USE ROLE ACCOUNTADMIN;

-- The role that owns and runs everything below.
CREATE ROLE IF NOT EXISTS test_role;

-- The database; test_role owns it, so it can create the schema, repository, stage and service.
CREATE DATABASE IF NOT EXISTS tutorial_db;
GRANT OWNERSHIP ON DATABASE tutorial_db TO ROLE test_role COPY CURRENT GRANTS;

-- A warehouse runs the SQL that calls the service function (the service itself runs in the
-- compute pool). The smallest size, suspended after a minute without queries.
CREATE WAREHOUSE IF NOT EXISTS tutorial_warehouse WITH
  WAREHOUSE_SIZE = 'X-SMALL'
  AUTO_SUSPEND = 60
  AUTO_RESUME = TRUE;
GRANT USAGE ON WAREHOUSE tutorial_warehouse TO ROLE test_role;

-- The service's endpoint is public (the /ui page in a browser): its owner needs this privilege.
GRANT BIND SERVICE ENDPOINT ON ACCOUNT TO ROLE test_role;

-- The machines the service runs on: one node always, more (up to three) when instances need room.
-- CPU_X64_XS (1 vCPU, 6 GiB per node): the smallest instance family, offered in every region
-- with Snowpark Container Services and the one Snowflake's own compute pool examples use (SHOW COMPUTE
-- POOL INSTANCE FAMILIES lists what a region offers). An instance requests 0.5 vCPU (0.4 for echo,
-- 0.1 for its prometheus-sidecar), so one instance fits a node beside Snowflake's own system
-- containers, and the pool grows to three nodes for the three instances of 02_service.sql
-- (MAX_INSTANCES). Idle nodes are given back down to MIN_NODES.
-- The pool suspends itself after an hour with no service running on it.
CREATE COMPUTE POOL IF NOT EXISTS tutorial_compute_pool
  MIN_NODES = 1
  MAX_NODES = 3
  INSTANCE_FAMILY = CPU_X64_XS
  AUTO_RESUME = TRUE
  AUTO_SUSPEND_SECS = 3600;
GRANT USAGE, MONITOR ON COMPUTE POOL tutorial_compute_pool TO ROLE test_role;

-- Give test_role to the user running this script (quoted, so any user name works as it is).
SET grant_role_to_me = ('GRANT ROLE test_role TO USER "' || CURRENT_USER() || '"');
EXECUTE IMMEDIATE $grant_role_to_me;

---------------------------------------------------------------------------------------------
-- Part 2, as test_role: the schema-level objects, owned by test_role.
---------------------------------------------------------------------------------------------
USE ROLE test_role;
USE DATABASE tutorial_db;
USE WAREHOUSE tutorial_warehouse;

CREATE SCHEMA IF NOT EXISTS data_schema;
USE SCHEMA data_schema;

-- Where `docker push` puts the image (an OCI registry inside the account).
CREATE IMAGE REPOSITORY IF NOT EXISTS tutorial_repository;

-- Where a specification file can be uploaded (the alternative in 02_service.sql).
CREATE STAGE IF NOT EXISTS tutorial_stage
  DIRECTORY = ( ENABLE = true );

---------------------------------------------------------------------------------------------
-- Check: the pool is STARTING, then IDLE or ACTIVE; copy repository_url for docker build/push.
---------------------------------------------------------------------------------------------
DESCRIBE COMPUTE POOL tutorial_compute_pool;

-- repository_url looks like <orgname>-<acctname>.<registry domain>/tutorial_db/data_schema/tutorial_repository;
-- its host part (everything before the first '/') is the registry hostname for docker login.
SHOW IMAGE REPOSITORIES IN SCHEMA tutorial_db.data_schema;
