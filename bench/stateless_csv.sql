-- stateless_csv.sql — bench/stateless.sh, CSV case: read a file of
-- user-behaviour events, keep amount > 50 AND action <> 'view', project three
-- columns, discard them.  ${FILE} is replaced by stateless.sh (sed) before the
-- run; the file comes from bench/gen_events.c.
CREATE TABLE events (
    user_id BIGINT,
    action  STRING,
    item_id BIGINT,
    amount  DECIMAL(10, 2),
    ts      BIGINT,
    device  STRING,
    page    STRING
) WITH (
    'connector' = 'filesystem',
    'path'      = '${FILE}',
    'format'    = 'csv'
);

CREATE TABLE sink (
    user_id BIGINT,
    action  STRING,
    amount  DECIMAL(10, 2)
) WITH ('connector' = 'blackhole');

INSERT INTO sink
SELECT user_id, action, amount
FROM events
WHERE amount > 50 AND action <> 'view';
