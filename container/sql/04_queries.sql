-- 04_queries.sql: call the service from SQL, as the tutorial does.

USE ROLE test_role;
USE DATABASE tutorial_db;
USE SCHEMA data_schema;
USE WAREHOUSE tutorial_warehouse;

-- One value: one batch of one row. Answers "Bob said hello!" (CHARACTER_NAME is Bob in the spec).
SELECT my_echo_udf('hello!');

-- A column: Snowflake batches its rows and puts the answers back in row order.
CREATE TABLE IF NOT EXISTS messages (message_text VARCHAR)
  AS (SELECT * FROM (VALUES ('Thank you'), ('Hello'), ('Hello World')));

SELECT * FROM messages;

-- Bob said Thank you / Bob said Hello / Bob said Hello World
SELECT my_echo_udf(message_text) FROM messages;

-- SQL NULL goes to the service as JSON null and comes back as NULL.
SELECT my_echo_udf(NULL);

-- A bigger query, many batches of at most MAX_BATCH_ROWS rows sent concurrently: 100,000 rows.
SELECT COUNT(*) AS answered
  FROM (SELECT my_echo_udf('row ' || SEQ4()) AS answer FROM TABLE(GENERATOR(ROWCOUNT => 100000)))
  WHERE answer LIKE 'Bob said row %';
