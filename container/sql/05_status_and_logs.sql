-- 05_status_and_logs.sql: is the service up, what does it log, where is its web page, how to
-- scale it, and where to read the latency statistics. Runs top to bottom after 01-04 (Snowsight
-- "Run all", `snow sql -f`); each statement can also be run on its own. The event table is read
-- as ACCOUNTADMIN (a role that may read it), everything else as test_role.

USE ROLE test_role;
USE DATABASE tutorial_db;
USE SCHEMA data_schema;
USE WAREHOUSE tutorial_warehouse;

---------------------------------------------------------------------------------------------
-- Status
---------------------------------------------------------------------------------------------
-- The service: status PENDING, RUNNING, FAILED, SUSPENDED ...; current/target instances.
DESCRIBE SERVICE echo_service;

-- One row per container per instance: status READY once GET /healthcheck answers 200, restart
-- count, last exit code (a container that keeps restarting shows why in its logs, below).
SHOW SERVICE CONTAINERS IN SERVICE echo_service;
SHOW SERVICE INSTANCES IN SERVICE echo_service;

-- The same as JSON, waiting up to 60 s for a steady state. Snowflake marks this function as
-- deprecated in favour of the two SHOW commands above; it still answers.
SELECT SYSTEM$GET_SERVICE_STATUS('echo_service', 60);

---------------------------------------------------------------------------------------------
-- Logs: what the server printed on stdout/stderr
---------------------------------------------------------------------------------------------
-- The last 100 lines of container "echo" of instance 0, while it runs.
SELECT SYSTEM$GET_SERVICE_LOGS('echo_service', 0, 'echo', 100);

-- The image logs one JSON object per line (SERVER_LOG_FORMAT=json): the message under "body",
-- with its timestamp, severity, logger and, for errors, the traceback. As a table (the
-- COALESCEs read the keys Snowflake documents for structured logs, severity_text and
-- attributes, as well as the plain ones):
SELECT
    log:timestamp::string                                      AS logged_at,
    COALESCE(log:severity_text, log:severity)::string          AS severity,
    COALESCE(log:attributes:logger, log:logger)::string        AS logger,
    log:body::string                                           AS message,
    COALESCE(log:attributes:exception, log:exception)::string  AS exception
  FROM (
    SELECT TRY_PARSE_JSON(value) AS log
      FROM TABLE(SPLIT_TO_TABLE(SYSTEM$GET_SERVICE_LOGS('echo_service', 0, 'echo', 1000), '\n'))
  )
  WHERE log IS NOT NULL
  ORDER BY logged_at;

-- A 500 answers only {"error_id": "..."}; the traceback is in the log line carrying that id:
--   ... WHERE log:body::string LIKE '%<error_id>%'

-- The log of the previous run of a container, once it has restarted (SHOW SERVICE CONTAINERS above
-- counts the restarts): the fifth argument TRUE. Snowflake refuses it for a container that never
-- restarted, so it stays a comment here, where a batch run must not fail:
--   SELECT SYSTEM$GET_SERVICE_LOGS('echo_service', 0, 'echo', 100, TRUE);

-- Logs are also kept in the account's event table, if one is set (spec logExporters: INFO), and
-- outlive the container. A line that is JSON with a "body" key is stored structured: body in
-- VALUE, timestamp in TIMESTAMP, severity_text in RECORD, attributes in RECORD_ATTRIBUTES; keys
-- Snowflake does not know are dropped. Without an event table for the account, these are empty.
-- The last day of the service's logs, for its owner (no access to the whole event table needed):
SELECT * FROM TABLE(echo_service!SPCS_GET_LOGS()) ORDER BY timestamp DESC LIMIT 100;

-- Or straight from the event table:
SHOW PARAMETERS LIKE 'event_table' IN ACCOUNT;
-- SELECT timestamp, value, record, record_attributes
--   FROM <the event table named above>
--   WHERE timestamp > DATEADD(hour, -1, CURRENT_TIMESTAMP())
--     AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
--     AND record_type = 'LOG'
--   ORDER BY timestamp DESC
--   LIMIT 100;

-- A failed query, traced to its batches: every request has one access line, whose attributes
-- carry Snowflake's query and batch ids (headers sf-external-function-current-query-id and
-- sf-external-function-query-batch-id), the status, the duration and the invocation id. Put the
-- query id of the failed query (QUERY_HISTORY below) in place of <query_id>; retries of a batch
-- have the same batch id. Read as ACCOUNTADMIN, which may read the event table (any role with
-- SELECT on it will do; for the default SNOWFLAKE.TELEMETRY.EVENTS, one granted the application role
-- SNOWFLAKE.EVENTS_ADMIN); back to test_role after it.
USE ROLE ACCOUNTADMIN;
SHOW PARAMETERS LIKE 'event_table' IN ACCOUNT;
SET event_table = (SELECT COALESCE(NULLIF(MAX("value"), ''), 'SNOWFLAKE.TELEMETRY.EVENTS')
                     FROM TABLE(RESULT_SCAN(LAST_QUERY_ID())));
SELECT
    timestamp,
    record_attributes:"snowflake.batch_id"::string                 AS batch_id,
    record_attributes:"http.response.status_code"::number          AS status,
    record_attributes:"duration_ms"::float                         AS duration_ms,
    record_attributes:"http.response.body.size"::number            AS response_bytes,
    record_attributes:"faas.invocation_id"::string                 AS invocation_id,
    COALESCE(resource_attributes:"snow.service.container.instance",
             resource_attributes:"snow.container.instance",
             resource_attributes:"snow.service.instance")::string   AS instance
  FROM IDENTIFIER($event_table)
  WHERE timestamp > DATEADD(day, -1, SYSDATE())
    AND record_type = 'LOG'
    AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
    AND record_attributes:"logger" = 'access'
    AND record_attributes:"snowflake.query_id" = '<query_id>'
  ORDER BY batch_id, timestamp;
-- A 5xx line's invocation id leads to the error line logged with the traceback (its error_id is
-- in the answer); with SERVER_ACCESS_LOG=failures only the 4xx and 5xx requests are logged.
USE ROLE test_role;

---------------------------------------------------------------------------------------------
-- The public endpoint: the web page and the latency statistics
---------------------------------------------------------------------------------------------
-- ingress_url of echoendpoint, e.g. abcd-<orgname>-<acctname>.<domain>. Open it in a browser
-- (you sign in to Snowflake first, as a user with test_role):
--   https://<ingress_url>/ui            the tutorial's form: type a text, see "Bob said ..."
--   https://<ingress_url>/ui/latency    latency of each function, as a page
--   https://<ingress_url>/latency       the same statistics as JSON
-- The statistics add up every server process of the instance that answered (WEB_CONCURRENCY
-- of them), since it started; 06_latency_metrics.sql has every instance, from the event table.
SHOW ENDPOINTS IN SERVICE echo_service;

-- How the SQL side saw it: elapsed time of the recent queries that called the function.
SELECT query_id, start_time, total_elapsed_time AS elapsed_ms, rows_produced, query_text
  FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 1000))
  WHERE query_text ILIKE '%my_echo_udf%' AND query_type = 'SELECT'
  ORDER BY start_time DESC
  LIMIT 20;

---------------------------------------------------------------------------------------------
-- Scaling
---------------------------------------------------------------------------------------------
-- 02_service.sql creates the service with 1 to 3 instances behind Snowflake's load balancer.
-- Snowflake adds and removes instances from their CPU use measured against
-- resources.requests.cpu, so this CPU-based autoscaling needs a CPU request in the specification
-- (ours asks for 1, plus 0.1 for the sidecar). The compute pool adds a node (up to MAX_NODES = 3)
-- when an instance does not fit on the ones it has. current_instances in DESCRIBE SERVICE and
-- the instances column of 06_latency_metrics.sql show how many run.
-- Another range (MAX_INSTANCES above 3 needs a larger MAX_NODES in 01_setup.sql):
-- ALTER SERVICE echo_service SET MIN_INSTANCES = 2 MAX_INSTANCES = 3;

-- A fixed number instead: MIN_INSTANCES = MAX_INSTANCES.
-- ALTER SERVICE echo_service SET MIN_INSTANCES = 1 MAX_INSTANCES = 1;

-- Stop paying for the service without dropping it, and start it again. On suspend, every
-- container gets SIGTERM: the server finishes in-flight requests (SERVER_GRACEFUL_TIMEOUT_SECONDS)
-- before Snowflake's 30 s grace period ends.
-- ALTER SERVICE echo_service SUSPEND;
-- ALTER SERVICE echo_service RESUME;

-- The nodes the pool runs now.
DESCRIBE COMPUTE POOL tutorial_compute_pool;
