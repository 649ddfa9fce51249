-- 03_function.sql: the service function, a SQL function whose rows are answered by echo_service.
-- Snowflake sends the rows of a query in batches, as POST /echo with {"data": [[row, value], ...]},
-- several batches at once, and expects one answer row per input row, in the same order.

USE ROLE test_role;
USE DATABASE tutorial_db;
USE SCHEMA data_schema;
USE WAREHOUSE tutorial_warehouse;

-- SERVICE and ENDPOINT name the service and the endpoint of its specification (echoendpoint,
-- port 8000); AS gives the HTTP path Snowflake posts the batches to.
--
-- MAX_BATCH_ROWS caps the rows in one batch (one HTTP request). Without it Snowflake chooses the
-- size itself; with it, a large query is cut into more, smaller requests, which Snowflake sends
-- concurrently and spreads over the service's instances and worker processes. 1000 rows of short
-- text is well under the server's 16 MiB body limit and its answer under Snowflake's 10 MB
-- answer limit, and small enough for a retried batch (429 when the server is saturated, 5xx) to
-- cost little. Raise it for fewer, bigger requests; lower it if values are long texts.
CREATE OR REPLACE FUNCTION my_echo_udf (InputText varchar)
  RETURNS varchar
  SERVICE=echo_service
  ENDPOINT=echoendpoint
  MAX_BATCH_ROWS=1000
  AS '/echo';

-- Shows SERVICE, ENDPOINT, PATH and the batch settings (MAX_BATCH_ROWS, MAX_BATCH_RETRIES ...).
DESCRIBE FUNCTION my_echo_udf(varchar);

-- To change the batch size later, without recreating the function:
--   ALTER FUNCTION my_echo_udf(varchar) SET MAX_BATCH_ROWS = 5000;
