-- 02_service.sql: start echo_service in the compute pool, after the image was pushed
-- (container/README.md, "Build and push the image").
-- The specification below is container/spec.yaml, word for word (a test keeps them equal).

USE ROLE test_role;
USE DATABASE tutorial_db;
USE SCHEMA data_schema;
USE WAREHOUSE tutorial_warehouse;

-- The pool must be IDLE or ACTIVE (not STARTING) before the service can be placed on it.
DESCRIBE COMPUTE POOL tutorial_compute_pool;

-- One to three instances: it starts with one, and Snowflake adds instances (up to three) while
-- their CPU use is high against resources.requests.cpu, and removes them again when it drops.
-- The compute pool has a node for each (01_setup.sql, MAX_NODES). Every instance runs both
-- containers, echo and its own prometheus-sidecar, whose metrics 06_latency_metrics.sql reads.
-- To replace a service created earlier, run DROP SERVICE IF EXISTS echo_service; first.
CREATE SERVICE IF NOT EXISTS echo_service
  IN COMPUTE POOL tutorial_compute_pool
  FROM SPECIFICATION $$
spec:
  containers:
  - name: echo
    image: /tutorial_db/data_schema/tutorial_repository/my_echo_service_image:latest
    env:
      SERVER_PORT: 8000
      CHARACTER_NAME: Bob
      WEB_CONCURRENCY: 1
    readinessProbe:
      port: 8000
      path: /healthcheck
    resources:
      requests:
        cpu: 0.4
        memory: 1Gi
      limits:
        cpu: 1
        memory: 2Gi
  - name: prometheus-sidecar
    image: /snowflake/images/snowflake_images/monitoring-prometheus-sidecar:0.0.1
    args: ["-e", "localhost:8000/metrics,1m"]
    resources:
      requests:
        cpu: 0.1
        memory: 128Mi
      limits:
        cpu: 0.5
        memory: 512Mi
  endpoints:
  - name: echoendpoint
    port: 8000
    public: true
  logExporters:
    eventTableConfig:
      logLevel: INFO
$$
  MIN_INSTANCES = 1
  MAX_INSTANCES = 3;

-- status goes PENDING -> RUNNING once the image is pulled and GET /healthcheck answers 200;
-- SHOW SERVICE CONTAINERS lists two containers per instance, echo and prometheus-sidecar.
DESCRIBE SERVICE echo_service;
SHOW SERVICE CONTAINERS IN SERVICE echo_service;

---------------------------------------------------------------------------------------------
-- Alternative: the same service from the specification file on the stage, instead of inline.
-- Keeps the YAML in one place (container/spec.yaml). Upload it first, from the repository root,
-- with Snowflake CLI:
--     snow stage copy container/spec.yaml @tutorial_db.data_schema.tutorial_stage --overwrite
-- or with PUT from a SQL client that can read local files (SnowSQL, snow sql; not a Snowsight
-- worksheet, whose stage page has an upload button instead). PUT wants an absolute path:
--     PUT file:///<absolute path of the repository>/container/spec.yaml @tutorial_stage
--       AUTO_COMPRESS = FALSE OVERWRITE = TRUE;
-- then:
--
-- LIST @tutorial_stage;
-- CREATE SERVICE echo_service
--   IN COMPUTE POOL tutorial_compute_pool
--   FROM @tutorial_stage
--   SPECIFICATION_FILE = 'spec.yaml'
--   MIN_INSTANCES = 1
--   MAX_INSTANCES = 3;
--
-- After editing spec.yaml and uploading it again, an existing service takes the new version with
--   ALTER SERVICE echo_service FROM @tutorial_stage SPECIFICATION_FILE = 'spec.yaml';
---------------------------------------------------------------------------------------------
