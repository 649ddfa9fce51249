-- 02_service.sql: start echo_service in the compute pool, after the image was pushed
-- (container/README.md, "Build and push the image").
-- The specification below is container/spec.yaml, word for word (a test keeps them equal).

USE ROLE test_role;
USE DATABASE tutorial_db;
USE SCHEMA data_schema;
USE WAREHOUSE tutorial_warehouse;

-- The pool must be IDLE or ACTIVE (not STARTING) before the service can be placed on it.
DESCRIBE COMPUTE POOL tutorial_compute_pool;

-- One instance to start with (05_status_and_logs.sql shows how to scale).
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
      WEB_CONCURRENCY: 2
    readinessProbe:
      port: 8000
      path: /healthcheck
    resources:
      requests:
        cpu: 1
        memory: 1Gi
      limits:
        cpu: 2
        memory: 2Gi
  endpoints:
  - name: echoendpoint
    port: 8000
    public: true
  logExporters:
    eventTableConfig:
      logLevel: INFO
$$
  MIN_INSTANCES = 1
  MAX_INSTANCES = 1;

-- status goes PENDING -> RUNNING once the image is pulled and GET /healthcheck answers 200.
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
--   MAX_INSTANCES = 1;
--
-- After editing spec.yaml and uploading it again, an existing service takes the new version with
--   ALTER SERVICE echo_service FROM @tutorial_stage SPECIFICATION_FILE = 'spec.yaml';
---------------------------------------------------------------------------------------------
