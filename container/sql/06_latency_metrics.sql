-- 06_latency_metrics.sql: the service's own metrics over the last hour, read from the account's
-- event table: (a) invocations per minute per function, (b) p50 and p99 latency per function and
-- per instance, (c) errors per minute per function. Run it while the service runs (after 05, before
-- 07_cleanup.sql), a few minutes after the first calls; it runs top to bottom (Snowsight "Run all",
-- `snow sql -f`), and each query can also be run on its own after the SET below.
--
-- Where the rows come from. Each instance runs two containers (spec.yaml): echo, whose GET /metrics
-- answers in the Prometheus text format, merged over its worker processes, and Snowflake's
-- prometheus-sidecar, which reads it once a minute ("-e localhost:8000/metrics,1m"), turns it into
-- OpenTelemetry metrics and hands them to Snowflake, which writes them to the event table:
--   RECORD_TYPE = 'METRIC'; the metric name in RECORD:metric.name; the value in VALUE;
--   RESOURCE_ATTRIBUTES: the service (snow.service.name) and the instance, among others;
--   RECORD_ATTRIBUTES: the labels of the series, here "function" and "trigger";
--   SCOPE:name is 'snow.spcs.platform' for Snowflake's own platform metrics, not for ours.
-- The metrics (function and trigger labels on each; trigger is "http" for every function):
--   faas_invocations_total        counter: invocations completed, with or without an error
--   faas_errors_total             counter: failed invocations (5xx, exception, or abandoned)
--   faas_abandoned_total          counter: invocations started and never seen to finish
--   faas_invoke_duration_seconds  histogram of the duration of completed invocations, buckets
--                                 0.005 0.01 0.025 0.05 0.075 0.1 0.25 0.5 0.75 1 2.5 5 7.5 10 +Inf
-- Counters and histograms are cumulative: totals since the container started. What happened
-- during a minute is the difference between two consecutive samples of one series, that is of
-- one instance and one function; a total that went down means the container restarted and counts
-- from zero again. The first sample of a series has nothing to be compared with and counts for
-- nothing (as in Prometheus' increase()): the queries read 70 minutes to have it before the hour.
--
-- Where Snowflake's documentation is silent or not consistent, the queries accept every form:
--   * the instance key: snow.service.container.instance, snow.container.instance (both in
--     Snowflake's examples of event table rows) or snow.service.instance (SPCS_GET_EVENTS);
--   * the metric name: in RECORD:metric.name (documented) or RECORD:name (newer event tables);
--     with or without the _total of counters and the _seconds unit suffix, which the
--     Prometheus-to-OpenTelemetry conversion may drop;
--   * a scalar VALUE: a number, or an object {"double_value": ...} / {"int_value": ...};
--   * the histogram: one row per sample whose VALUE holds the OpenTelemetry data point (arrays
--     explicit_bounds and bucket_counts, the latter per bucket, not cumulative), or one row per
--     bucket and sample named ..._bucket, the cumulative count in VALUE and the bound in the
--     "le" attribute, as Prometheus has it.
-- The first query shows which forms arrived.
--
-- Times are UTC: TIMESTAMP is a UTC time without a time zone, so the window starts from SYSDATE()
-- (UTC) rather than CURRENT_TIMESTAMP() (the session's time zone).

-- ACCOUNTADMIN may read the account's event table. Any role with SELECT on it will do instead;
-- for the default SNOWFLAKE.TELEMETRY.EVENTS, grant it the application role SNOWFLAKE.EVENTS_ADMIN.
USE ROLE ACCOUNTADMIN;
USE WAREHOUSE tutorial_warehouse;

-- The active event table of the account, kept in a session variable for the queries below
-- (SNOWFLAKE.TELEMETRY.EVENTS, the default one, when the parameter is empty).
SHOW PARAMETERS LIKE 'event_table' IN ACCOUNT;
SET event_table = (SELECT COALESCE(NULLIF(MAX("value"), ''), 'SNOWFLAKE.TELEMETRY.EVENTS')
                     FROM TABLE(RESULT_SCAN(LAST_QUERY_ID())));
SELECT $event_table AS event_table;

---------------------------------------------------------------------------------------------
-- What arrived: one row per metric of the service's own, with the form of its rows.
-- Empty? Give it two minutes after the first call. Then read the sidecar's log, as test_role
-- (the service's owner) in the session of 05_status_and_logs.sql:
--   SELECT SYSTEM$GET_SERVICE_LOGS('echo_service', 0, 'prometheus-sidecar', 100);
---------------------------------------------------------------------------------------------
SELECT
    COALESCE(record:metric.name, record:name)::string            AS metric_name,
    record:metric_type::string                                   AS metric_type,
    TYPEOF(value)                                                AS value_type,
    ANY_VALUE(resource_attributes)                               AS a_resource_attributes,
    ANY_VALUE(record_attributes)                                 AS a_record_attributes,
    ANY_VALUE(value)                                             AS a_value,
    COUNT(*)                                                     AS samples,
    MAX(timestamp)                                               AS last_sample_utc
  FROM IDENTIFIER($event_table)
  WHERE timestamp > DATEADD(hour, -1, SYSDATE())
    AND record_type = 'METRIC'
    AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
    AND COALESCE(scope:name::string, '') <> 'snow.spcs.platform'
  GROUP BY 1, 2, 3
  ORDER BY 1;

---------------------------------------------------------------------------------------------
-- (a) Invocations per minute, per function, all instances together.
---------------------------------------------------------------------------------------------
WITH samples AS (
    -- One row per sample of the counter: when, which instance, which function, the total.
    SELECT
        timestamp                                                    AS sampled_at,
        COALESCE(resource_attributes:"snow.service.container.instance",
                 resource_attributes:"snow.container.instance",
                 resource_attributes:"snow.service.instance")::string AS instance,
        record_attributes:"function"::string                         AS function_name,
        TRY_TO_DOUBLE(IFF(IS_OBJECT(value),
                          COALESCE(value:double_value, value:int_value),
                          value)::string)                            AS total
      FROM IDENTIFIER($event_table)
      WHERE timestamp > DATEADD(minute, -70, SYSDATE())
        AND record_type = 'METRIC'
        AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
        AND COALESCE(scope:name::string, '') <> 'snow.spcs.platform'
        AND COALESCE(record:metric.name, record:name)::string IN (
              'faas_invocations_total', 'faas_invocations')
),
increases AS (
    -- What each sample added to the previous one of the same instance and function.
    SELECT
        sampled_at, instance, function_name,
        CASE WHEN previous IS NULL THEN NULL           -- first sample of the series
             WHEN total >= previous THEN total - previous
             ELSE total                                -- the container restarted: counted from 0
        END                                                          AS increase
      FROM (SELECT *, LAG(total) OVER (PARTITION BY instance, function_name ORDER BY sampled_at) AS previous
              FROM samples)
)
SELECT
    DATE_TRUNC('minute', sampled_at)                                 AS minute_utc,
    function_name,
    SUM(increase)                                                    AS invocations,
    COUNT(DISTINCT instance)                                         AS instances
  FROM increases
  WHERE sampled_at > DATEADD(hour, -1, SYSDATE())
    AND increase IS NOT NULL
  GROUP BY 1, 2
  ORDER BY 1 DESC, 2;

---------------------------------------------------------------------------------------------
-- (b) p50 and p99 latency over the hour, per function: for each instance, and for all instances.
-- A Prometheus histogram counts, for each bucket bound le, the invocations that took at most le
-- seconds. The hour's increase of each of those counts (per instance, as for the counters) gives
-- the hour's distribution; the q-quantile lies in the first bucket whose count reaches q times
-- the total. The query reports that bucket's bound: an upper bound, at the bucket's resolution
-- ("p99 at most 0.25" means the p99 is above 0.1 and at most 0.25 seconds). inf: above 10 s.
---------------------------------------------------------------------------------------------
WITH samples AS (
    -- One row per sample of the histogram (or per bucket and sample, Prometheus-style).
    SELECT
        timestamp                                                    AS sampled_at,
        COALESCE(resource_attributes:"snow.service.container.instance",
                 resource_attributes:"snow.container.instance",
                 resource_attributes:"snow.service.instance")::string AS instance,
        record_attributes:"function"::string                         AS function_name,
        COALESCE(record:metric.name, record:name)::string            AS metric_name,
        record_attributes,
        value
      FROM IDENTIFIER($event_table)
      WHERE timestamp > DATEADD(minute, -70, SYSDATE())
        AND record_type = 'METRIC'
        AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
        AND COALESCE(scope:name::string, '') <> 'snow.spcs.platform'
        AND COALESCE(record:metric.name, record:name)::string IN (
              'faas_invoke_duration_seconds', 'faas_invoke_duration',
              'faas_invoke_duration_seconds_bucket', 'faas_invoke_duration_bucket')
),
buckets AS (
    -- OpenTelemetry form: bucket_counts[i] counts the durations in (bound i-1, bound i], the last
    -- one those above the last bound. A running sum over i makes them Prometheus' "at most le".
    SELECT
        s.sampled_at, s.instance, s.function_name,
        IFF(b.index < ARRAY_SIZE(s.bounds), s.bounds[b.index]::float, 'inf'::float) AS le,
        SUM(b.value::float) OVER (PARTITION BY b.seq ORDER BY b.index)              AS at_most_le
      FROM (SELECT sampled_at, instance, function_name,
                   COALESCE(value:explicit_bounds, value:explicitBounds) AS bounds,
                   COALESCE(value:bucket_counts, value:bucketCounts)     AS counts
              FROM samples
              WHERE IS_OBJECT(value)
                AND metric_name IN ('faas_invoke_duration_seconds', 'faas_invoke_duration')) s,
           LATERAL FLATTEN(input => s.counts) b
    UNION ALL
    -- Prometheus form: one row per bucket, already cumulative, the bound in the "le" label.
    SELECT
        sampled_at, instance, function_name,
        IFF(record_attributes:"le"::string ILIKE '%inf%', 'inf'::float,
            TRY_TO_DOUBLE(record_attributes:"le"::string))                         AS le,
        TRY_TO_DOUBLE(IFF(IS_OBJECT(value),
                          COALESCE(value:double_value, value:int_value),
                          value)::string)                                          AS at_most_le
      FROM samples
      WHERE metric_name IN ('faas_invoke_duration_seconds_bucket', 'faas_invoke_duration_bucket')
),
increases AS (
    -- What each sample added to the previous one, per instance, function and bucket.
    SELECT
        sampled_at, instance, function_name, le,
        CASE WHEN previous IS NULL THEN NULL           -- first sample of the series
             WHEN at_most_le >= previous THEN at_most_le - previous
             ELSE at_most_le                           -- the container restarted: counted from 0
        END                                                          AS increase
      FROM (SELECT *, LAG(at_most_le) OVER (PARTITION BY instance, function_name, le
                                             ORDER BY sampled_at) AS previous
              FROM buckets)
),
over_the_hour AS (
    -- The hour's count of invocations that took at most le seconds: per instance, and all together.
    SELECT
        function_name,
        IFF(GROUPING(instance) = 1, 'all instances', instance)       AS service_instance,
        le,
        SUM(increase)                                                AS at_most_le
      FROM increases
      WHERE sampled_at > DATEADD(hour, -1, SYSDATE())
        AND increase IS NOT NULL
      GROUP BY GROUPING SETS ((function_name, instance, le), (function_name, le))
),
totals AS (
    -- The +Inf bucket counts every invocation.
    SELECT *, MAX(IFF(le = 'inf'::float, at_most_le, NULL))
                OVER (PARTITION BY function_name, service_instance)  AS invocations
      FROM over_the_hour
)
SELECT
    function_name,
    service_instance,
    ANY_VALUE(invocations)                                           AS invocations,
    MIN(IFF(at_most_le >= 0.50 * invocations, le, NULL))             AS p50_at_most_seconds,
    MIN(IFF(at_most_le >= 0.99 * invocations, le, NULL))             AS p99_at_most_seconds
  FROM totals
  WHERE invocations > 0
  GROUP BY 1, 2
  ORDER BY 1, 2;

---------------------------------------------------------------------------------------------
-- (c) Errors per minute, per function, all instances together: failed invocations (5xx
-- answers, exceptions, abandoned ones), and how many of them were abandoned.
---------------------------------------------------------------------------------------------
WITH samples AS (
    -- One row per sample of either counter: when, which instance, function and counter, the total.
    SELECT
        timestamp                                                    AS sampled_at,
        COALESCE(resource_attributes:"snow.service.container.instance",
                 resource_attributes:"snow.container.instance",
                 resource_attributes:"snow.service.instance")::string AS instance,
        record_attributes:"function"::string                         AS function_name,
        IFF(COALESCE(record:metric.name, record:name)::string LIKE 'faas_abandoned%',
            'abandoned', 'errors')                                   AS counter_name,
        TRY_TO_DOUBLE(IFF(IS_OBJECT(value),
                          COALESCE(value:double_value, value:int_value),
                          value)::string)                            AS total
      FROM IDENTIFIER($event_table)
      WHERE timestamp > DATEADD(minute, -70, SYSDATE())
        AND record_type = 'METRIC'
        AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
        AND COALESCE(scope:name::string, '') <> 'snow.spcs.platform'
        AND COALESCE(record:metric.name, record:name)::string IN (
              'faas_errors_total', 'faas_errors', 'faas_abandoned_total', 'faas_abandoned')
),
increases AS (
    -- What each sample added to the previous one of the same instance, function and counter.
    SELECT
        sampled_at, instance, function_name, counter_name,
        CASE WHEN previous IS NULL THEN NULL           -- first sample of the series
             WHEN total >= previous THEN total - previous
             ELSE total                                -- the container restarted: counted from 0
        END                                                          AS increase
      FROM (SELECT *, LAG(total) OVER (PARTITION BY instance, function_name, counter_name
                                        ORDER BY sampled_at) AS previous
              FROM samples)
)
SELECT
    DATE_TRUNC('minute', sampled_at)                                 AS minute_utc,
    function_name,
    SUM(IFF(counter_name = 'errors', increase, 0))                   AS errors,
    SUM(IFF(counter_name = 'abandoned', increase, 0))                AS of_which_abandoned,
    COUNT(DISTINCT instance)                                         AS instances
  FROM increases
  WHERE sampled_at > DATEADD(hour, -1, SYSDATE())
    AND increase IS NOT NULL
  GROUP BY 1, 2
  ORDER BY 1 DESC, 2;

-- (d) Cold starts per service instance, from the start-up log lines (LOG rows, attributes in
-- RECORD_ATTRIBUTES). Every worker process writes two: our server's "listening" line (process start
-- to accepting connections) and the timer's "cold_start" line when its first call ended (process start
-- to ready, which for our server is listening; when the app finished loading; the first call, its
-- duration and its wait after ready, which is idle time and not start-up; the slowest import). A new
-- instance, a replaced worker process and a resumed service each add a row. Figures are seconds from
-- the process's start, or from the timer's import where the OS did not say (startup.measured_from).
-- Each figure is an attribute of its own (a figure that is not known is left out); a function's first
-- call is "startup.first_calls_ms.<function>", gathered below into one object per line.
WITH startup_lines AS (
    SELECT
        timestamp,
        COALESCE(resource_attributes:"snow.service.container.instance",
                 resource_attributes:"snow.container.instance",
                 resource_attributes:"snow.service.instance")::string        AS instance,
        record_attributes:"process.pid"::number                              AS pid,
        record_attributes:"event"::string                                    AS event,
        record_attributes                                                    AS attributes
      FROM IDENTIFIER($event_table)
      WHERE timestamp > DATEADD(day, -1, SYSDATE())
        AND record_type = 'LOG'
        AND resource_attributes:"snow.service.name" = 'ECHO_SERVICE'
        AND record_attributes:"event"::string IN ('listening', 'cold_start')
),
first_calls AS (
    -- The first call of each function, {"<function>": milliseconds}, from its attribute of its own.
    SELECT
        lines.timestamp, lines.instance, lines.pid,
        OBJECT_AGG(SUBSTR(field.key, LENGTH('startup.first_calls_ms.') + 1), field.value) AS first_calls_ms
      FROM startup_lines AS lines,
           LATERAL FLATTEN(input => lines.attributes) AS field
      WHERE lines.event = 'cold_start'
        AND STARTSWITH(field.key, 'startup.first_calls_ms.')
      GROUP BY lines.timestamp, lines.instance, lines.pid
)
SELECT
    ready.timestamp                                                          AS ready_at,
    ready.instance,
    ready.pid,
    listening.attributes:"startup.listening_s"::float                        AS listening_s,
    ready.attributes:"startup.init_s"::float                                 AS time_to_ready_s,
    ready.attributes:"startup.app_loaded_s"::float                           AS app_loaded_s,
    ready.attributes:"startup.ready_by"::string                              AS ready_by,
    ready.attributes:"startup.first_call"::string                            AS first_call,
    ready.attributes:"startup.first_call_ms"::float                          AS first_call_ms,
    ready.attributes:"startup.first_call_wait_s"::float                      AS first_call_wait_s,
    calls.first_calls_ms                                                     AS first_calls_ms,
    ready.attributes:"startup.imports_ms"::float                             AS imports_ms,
    ready.attributes:"startup.slowest_import"::string                        AS slowest_import,
    ready.attributes:"startup.slowest_import_ms"::float                      AS slowest_import_ms,
    ready.attributes:"startup.measured_from"::string                         AS measured_from
  FROM startup_lines AS ready
  LEFT JOIN startup_lines AS listening
    ON listening.event = 'listening'
   AND listening.instance IS NOT DISTINCT FROM ready.instance
   AND listening.pid = ready.pid
   AND listening.timestamp BETWEEN DATEADD(minute, -10, ready.timestamp) AND ready.timestamp
  LEFT JOIN first_calls AS calls
    ON calls.timestamp = ready.timestamp
   AND calls.instance IS NOT DISTINCT FROM ready.instance
   AND calls.pid = ready.pid
  WHERE ready.event = 'cold_start'
  ORDER BY ready_at DESC;
